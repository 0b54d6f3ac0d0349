/**
 * Redis' maxmemory-policy, against real processes and a redis-server of the test's own: a Redis
 * that may evict keys (allkeys-lru) is refused by worker, serve and dev (exit 2, the reason and
 * the fix) unless REDIS_ALLOW_EVICTION=true; a Redis that refuses CONFIG (as managed ones do)
 * is warned about and used.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, spawnCli } from '../support/processes.js';
import { OwnRedis } from '../support/redis-server.js';

let redis: OwnRedis | undefined;
const spawned: Spawned[] = [];
afterEach(async () => {
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
  await redis?.destroy();
  redis = undefined;
});

const start = (args: string[], env: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env);
  spawned.push(p);
  return p;
};

const envFor = (url: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  REDIS_URL: url,
  QUEUE_PREFIX: '{policy}',
  // credentials set: dev uses them instead of starting a simulator; no call is ever made
  PROVIDER_APP_ID: 'policy-app',
  PROVIDER_SECRET: 'policy-secret',
  PROVIDER_ENDPOINT: 'http://127.0.0.1:9',
  HTTP_PORT: '0',
  REDIS_ALLOW_EVICTION: '',
  ...extra,
});

/**
 * Logged after the worker's SIGTERM handler is in place (a job it ran): SIGTERM sent right after
 * "workers started" may come before, and end the process by the signal's default action.
 */
const running = /queued a reconcile for every known account/;

const refusal =
  /Redis maxmemory-policy is \\?"allkeys-lru\\?": .*CONFIG SET maxmemory-policy noeviction.*REDIS_ALLOW_EVICTION=true/;

describe("Redis' maxmemory-policy", () => {
  it('allkeys-lru: worker, serve and dev refuse to start (exit 2) with the reason and the fix', async () => {
    redis = await OwnRedis.start({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    const runs = [['worker'], ['serve'], ['dev', '--no-demo']].map((args) => start(args, envFor(redis!.url)));
    for (const p of runs) {
      expect(await p.exited, p.output()).toBe(2);
      expect(p.output()).toMatch(refusal);
    }
  });

  it('allkeys-lru with REDIS_ALLOW_EVICTION=true: worker and serve start, and warn', async () => {
    redis = await OwnRedis.start({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    const env = envFor(redis.url, { REDIS_ALLOW_EVICTION: 'true' });
    const worker = start(['worker'], env);
    const serve = start(['serve'], env);
    await worker.waitFor(running, 30_000);
    const url = (JSON.parse(await serve.waitFor(/HTTP server listening/, 30_000)) as { url: string }).url;
    const allowed = /maxmemory-policy is \\"allkeys-lru\\", allowed by REDIS_ALLOW_EVICTION=true/;
    await Promise.all([worker.waitFor(allowed), serve.waitFor(allowed)]);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(await serve.stop('SIGTERM')).toBe(0);
  });

  it('CONFIG refused (managed Redis): the worker says it could not check, and starts', async () => {
    redis = await OwnRedis.start({
      args: ['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', ''],
    });
    const worker = start(['worker'], envFor(redis.url));
    await worker.waitFor(
      /could not read Redis maxmemory-policy \(CONFIG GET refused: .*\); going on/,
      30_000,
    );
    await worker.waitFor(running, 30_000);
    expect(await worker.stop('SIGTERM')).toBe(0);
  });
});
