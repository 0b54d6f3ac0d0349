/**
 * Every process must hash accounts into the deployment's partitions: a worker, serve, publish or
 * status configured with another PARTITIONS refuses (exit 2) with the reason and the fix, and so
 * does a deployment of the single-slot layout (before 0.3) until it is migrated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/jobs/connection.js';
import { keysFor } from '../../src/store/keys.js';
import { type Spawned, spawnCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('layout');
const spawned: Spawned[] = [];
afterAll(async () => {
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
  await deleteKeys(redisUrl(), prefix);
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  REDIS_URL: redisUrl(),
  QUEUE_PREFIX: prefix,
  PROVIDER_APP_ID: 'layout-app',
  PROVIDER_SECRET: 'layout-secret',
  PROVIDER_ENDPOINT: 'http://127.0.0.1:9',
  HTTP_PORT: '0',
  ...extra,
});

const run = (args: string[], extra: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env(extra));
  spawned.push(p);
  return p;
};

const sentinel = (partitions?: number) =>
  JSON.stringify({ epoch: 'e1', createdAt: 1, ...(partitions ? { partitions } : {}) });

describe('a partition count other than the deployment’s', () => {
  beforeAll(async () => {
    const redis = createRedis(redisUrl(), 'producer', () => {});
    await redis.set(keysFor(prefix, 1).deployment, sentinel(16));
    redis.disconnect();
  });

  it('worker, serve, publish and status refuse to start (exit 2), naming both counts and the fix', async () => {
    const runs = [['worker'], ['serve'], ['publish', '-'], ['status', '--account', 'alice']].map((args) =>
      run(args, { PARTITIONS: '8' }),
    );
    for (const p of runs) {
      expect(await p.exited, p.output()).toBe(2);
      expect(p.output()).toMatch(
        /PARTITIONS is 8 but this deployment hashes accounts into 16 partitions.*set PARTITIONS=16/,
      );
    }
  });

  it('a deployment of the single-slot layout, with a sentinel or from before it, is refused until it is migrated', async () => {
    const redis = createRedis(redisUrl(), 'producer', () => {});
    await redis.set(keysFor(prefix, 1).deployment, sentinel());
    redis.disconnect();
    const p = run(['worker'], {});
    expect(await p.exited, p.output()).toBe(2);
    expect(p.output()).toMatch(/one Redis slot .*folder-sync migrate-layout/);

    // older still: no sentinel at all, but the single-slot layout's accounts
    const again = createRedis(redisUrl(), 'producer', () => {});
    await again.del(keysFor(prefix, 1).deployment);
    await again.sadd(keysFor(prefix, 1).singleSlotAccounts, 'alice');
    again.disconnect();
    const q = run(['worker'], {});
    expect(await q.exited, q.output()).toBe(2);
    expect(q.output()).toMatch(/one Redis slot .*folder-sync migrate-layout/);
  });
});
