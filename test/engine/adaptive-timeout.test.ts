/**
 * A create answered later than its endpoint's adaptive budget: once creates answer in tens of
 * ms the client gives up after about a second instead of the configured 10 s, and the group the
 * stalled create made is adopted by the next read-back, never created a second time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TIMEOUT_BUDGET } from '../../src/provider/latency-budget.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, ev, PROVIDERS, p2p, providerEnv, startEngine } from '../support/engine.js';

let e: Engine<SimulatorBase> | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

const CEILING_MS = 10_000;
const ADOPTED = 'adopted a group whose create answer was lost';
/** One conversation in the "Direct messages" folder: an account whose reconcile makes one create. */
const direct = (account: string) => ev('conversation.upserted', account, { ...p2p('u1'), attributes: {} });
const occurrences = (text: string, what: string) => text.split(what).length - 1;

describe.each(PROVIDERS)('a create slower than its adaptive budget (%s)', (provider) => {
  it('costs about the budget, not the configured timeout, and its group is adopted, not duplicated', async () => {
    const createBudgets: number[] = [];
    e = await startEngine({
      provider,
      sim: { faults: { latencyMs: 20 } },
      env: providerEnv({ timeoutMs: CEILING_MS }),
      observer: {
        providerTimeout: (endpoint, seconds) => {
          if (endpoint === 'group.create') createBudgets.push(seconds);
        },
      },
    });
    const engine = e;
    const warm = Array.from({ length: TIMEOUT_BUDGET.minSamples }, (_, i) => `warm-${i}`);
    await engine.publish(warm.map(direct));
    await engine.eventually(() => expect(engine.sim.calls.count('group.create')).toBe(warm.length), 20_000);
    await engine.idle();
    expect(createBudgets).toEqual([CEILING_MS / 1000, TIMEOUT_BUDGET.floorMs / 1000]);

    // every create is applied and its answer held past the configured timeout
    engine.sim.setFaults({ stallRate: 1, stallMs: CEILING_MS + 5_000, stallEndpoints: ['group.create'] });
    const started = performance.now();
    await engine.publish([direct('late')]);
    await engine.eventually(() => expect(engine.logs()).toContain(ADOPTED), CEILING_MS);
    const cost = performance.now() - started;
    await engine.idle();

    expect(cost).toBeLessThan(CEILING_MS / 2);
    expect(occurrences(engine.logs(), ADOPTED)).toBe(1);
    expect(engine.sim.calls.count('group.create')).toBe(warm.length + 1);
    expect(engine.snapshot('late')).toMatchObject([{ name: 'Direct messages', members: ['1|u1'] }]);
    // the timeout doubled the next create's budget (the group was adopted: no create followed)
    expect(createBudgets.at(-1)).toBe((2 * TIMEOUT_BUDGET.floorMs) / 1000);
    console.log(`a stalled create (${provider}) cost ${Math.round(cost)} ms until its group was adopted`);
  });
});
