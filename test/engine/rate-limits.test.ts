import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, ev, PROVIDERS, providerEnv, startEngine, team } from '../support/engine.js';

let e: Engine<SimulatorBase> | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// A rate-limit answer is 416 from Yunxin and 60007 (60011/60018/60019) from Tencent.
describe.each(PROVIDERS)('rate limits (%s)', (provider) => {
  it('a 416 storm with a configured rate converges, and calls never exceed the rate in any second', async () => {
    const R = 20;
    e = await startEngine({
      provider,
      env: {
        ...providerEnv({ rateLimit: R }),
        RATE_LIMIT_BACKOFF_MS: '50',
        RATE_LIMIT_BACKOFF_MAX_MS: '400',
      },
      sim: { rateLimit: { perSecond: R, blockMs: 150 }, faults: { rateLimitRate: 0.25 } },
    });
    // 10 accounts: 30 calls wanted at once, more than R, and a 416 every fourth call
    const accounts = range(10).map((i) => `storm-${i}`);
    const started = Date.now();
    await e.publish(
      accounts.flatMap((a) => [
        ev('conversation.tagged', a, { ...team('c1'), tag: 'customer' }),
        ev('conversation.upserted', a, { conversation: { type: 1, target: 'friend' }, attributes: {} }),
      ]),
    );
    await e.eventually(() => {
      for (const a of accounts)
        expect(e!.groups(a)).toEqual({ Customers: ['2|c1'], 'Direct messages': ['1|friend'] });
    }, 60_000);
    const converged = Date.now() - started;
    const stats = e.sim.calls.snapshot();
    console.log(
      `416 storm (${provider}): ${accounts.length} accounts converged in ${converged} ms; ${stats.total} calls, ${stats.rateLimited} answered ${provider === 'tencent' ? 60007 : 416}, peak ${stats.peakPerSecond}/s (limit ${R})`,
    );
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.peakPerSecond).toBeLessThanOrEqual(R);
    // a 416 is never an item failure: nothing was rejected or left retrying
    expect(e.logs()).not.toContain('provider refused a call');
  });

  it('with the limit set to the provider rate there are no 416s at all', async () => {
    const R = 25;
    e = await startEngine({
      provider,
      env: providerEnv({ rateLimit: R }),
      sim: { rateLimit: { perSecond: R } },
    });
    // 40 calls wanted at once: the limit, not the workload, spreads them over 1.6 s
    const accounts = range(20).map((i) => `calm-${i}`);
    await e.publish(accounts.map((a) => ev('conversation.tagged', a, { ...team('c1'), tag: 'customer' })));
    await e.eventually(() => {
      for (const a of accounts) expect(e!.groups(a)).toEqual({ Customers: ['2|c1'] });
    }, 30_000);
    const stats = e.sim.calls.snapshot();
    expect(stats.rateLimited).toBe(0);
    expect(stats.peakPerSecond).toBeLessThanOrEqual(R);
    // one list per new account (first contact), then its create
    expect(stats.byEndpoint).toEqual({
      'group.list': { [e.successCode]: accounts.length },
      'group.create': { [e.successCode]: accounts.length },
    });
  });
});
