/**
 * `folder-sync worker` and `serve` as processes doing work: what they log (never a secret), and
 * a SIGTERM in the middle of it. The command line's own checks are in service-cli.test.ts,
 * `folder-sync dev` in dev-cli.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Engine, ev, startEngine, team } from '../support/engine.js';
import { type Spawned, spawnCli } from '../support/processes.js';
import { workerEnv } from '../support/worker-processes.js';

const spawned: Spawned[] = [];
let engine: Engine | undefined;
afterEach(async () => {
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
  await engine?.close();
  engine = undefined;
});
const start = (args: string[], env: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env);
  spawned.push(p);
  return p;
};

describe('secrets', () => {
  it('never reach the logs of a worker and a server at trace level', async () => {
    engine = await startEngine({ noWorkers: true });
    const secrets = {
      PROVIDER_SECRET: engine.config.PROVIDER_SECRET!,
      DASHBOARD_PASSWORD: 'dashboard-secret-4f81',
      DASHBOARD_TOKEN: 'dashboard-token-secret-9a1c7e',
      INGEST_TOKEN: 'ingest-token-secret-77b2d0a1',
    };
    const env = workerEnv(engine.config, { ...secrets, LOG_LEVEL: 'trace', HTTP_PORT: '0' });
    const worker = start(['worker'], env);
    const server = start(['serve'], env);
    await worker.waitFor(/workers started/);
    const url = JSON.parse(await server.waitFor(/HTTP server listening/)).url as string;
    // work that logs: events, provider calls, failed logins, a bad ingest
    await engine.publish([ev('conversation.tagged', 'sec', { ...team('c'), tag: 'customer' })]);
    await engine.eventually(() => expect(engine!.groups('sec')).toEqual({ Customers: ['2|c'] }));
    await fetch(`${url}/admin/queues`, { headers: { authorization: 'Bearer wrong' } });
    await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.INGEST_TOKEN}` },
      body: '{bad',
    });
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await worker.stop('SIGTERM')).toBe(0);
    const logs = worker.output() + server.output();
    expect(logs).toContain('yunxin call');
    for (const secret of Object.values(secrets)) expect(logs).not.toContain(secret);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM mid-work: in-flight calls finish, exit 0, and a new worker completes the rest', async () => {
    engine = await startEngine({ noWorkers: true, sim: { faults: { latencyMs: 50 } } });
    const env = workerEnv(engine.config, { SHUTDOWN_TIMEOUT_MS: '10000' });
    const first = start(['worker'], env);
    await first.waitFor(/workers started/);
    const accounts = Array.from({ length: 10 }, (_, i) => `drain-${i}`);
    const conversations = Array.from({ length: 250 }, (_, i) => `c${i}`);
    await engine.publish(
      accounts.flatMap((a) =>
        conversations.map((c) => ev('conversation.tagged', a, { ...team(c), tag: 'customer' })),
      ),
    );
    await engine.eventually(() => expect(engine!.sim.calls.snapshot().total).toBeGreaterThan(3), 30_000);
    // exit 0 is a drain within SHUTDOWN_TIMEOUT_MS: past it the process exits 1 (src/cli/shutdown.ts)
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');
    expect(first.output()).not.toContain('shutdown timed out');

    start(['worker'], env);
    const expected = conversations.map((c) => `2|${c}`).sort();
    await engine.eventually(() => {
      for (const a of accounts) expect(engine!.groups(a)).toEqual({ Customers: expected });
    }, 60_000);
  });
});
