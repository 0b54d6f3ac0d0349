/**
 * Fail-over to the next endpoint takes its own rate-limit slot (docs/reliability.md, finding 5).
 * The transport retries an idempotent call on the backup endpoint after an HTTP 5xx or a
 * timeout (and any call after a refused connection); that request counts at the provider like
 * any other. It used to go out at once, without a slot, so with PROVIDER_ENDPOINT listing a
 * primary and a backup a 5xx storm doubled the requests of that moment. Here both endpoints
 * are the same simulator and every update answers HTTP 503: each update becomes two requests,
 * and they must still be spaced like slots of the configured rate (10/s: 105 ms apart).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Engine, ev, startEngine, team } from '../support/engine.js';
import { WorkerProcesses, workerEnv } from '../support/worker-processes.js';
import { densestSecond } from './invariants.js';

let engine: Engine | undefined;
const procs = new WorkerProcesses();
afterEach(async () => {
  await procs.stopAll();
  await engine?.close();
  engine = undefined;
});

describe('fail-over to the backup endpoint', () => {
  it('a retried request takes a slot of the shared rate limit', async () => {
    const rate = 10;
    const e = await startEngine({ noWorkers: true, env: { PROVIDER_RATE_LIMIT: String(rate) } });
    engine = e;
    await procs.start(workerEnv(e.config, { PROVIDER_ENDPOINT: `${e.sim.url},${e.sim.url}` }));
    const accounts = ['fo-0', 'fo-1', 'fo-2'];
    await e.publish(accounts.map((a) => ev('conversation.tagged', a, { ...team('c1'), tag: 'customer' })));
    await e.eventually(() => {
      for (const a of accounts) expect(e.groups(a)).toEqual({ Customers: ['2|c1'] });
    }, 20_000);

    // every update: HTTP 503 from the "gateway", on both endpoints
    e.sim.setFaults({ serverErrorRate: 1, serverErrorAs: 'http', endpoints: ['group.update'] });
    await e.publish(accounts.map((a) => ev('conversation.tagged', a, { ...team('c2'), tag: 'customer' })));
    await e.eventually(
      () => expect(e.sim.calls.count('group.update', 503)).toBeGreaterThanOrEqual(6),
      20_000,
    );
    e.sim.setFaults({ serverErrorRate: 0 });

    const updates = e.sim.calls
      .recentCalls()
      .filter((c) => c.endpoint === 'group.update')
      .map((c) => c.at);
    const gaps = updates.slice(1).map((t, i) => t - updates[i]!);
    const spacing = 1050 / rate;
    // fail-overs happened (two requests per update), yet no second holds more than the rate,
    // and no request follows another by much less than a slot (before the fix: 1–3 ms)
    expect(updates.length).toBeGreaterThanOrEqual(6);
    expect(densestSecond(updates).calls).toBeLessThanOrEqual(rate);
    expect(Math.min(...gaps)).toBeGreaterThan(spacing / 4);
    console.log(
      `[reliability] failover-rate: update request gaps (ms) ${gaps.join(' ')}; slot spacing ${spacing} ms`,
    );
  });
});
