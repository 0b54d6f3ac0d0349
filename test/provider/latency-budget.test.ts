import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeBudget,
  LatencyBudget,
  nearestRankP99,
  TIMEOUT_BUDGET,
} from '../../src/provider/latency-budget.js';

const RUNS = { numRuns: 300 };
const { k, floorMs, minSamples, maxAgeMs } = TIMEOUT_BUDGET;
const CEILING = 10_000;

/** A window that saw `n` answers of `ms` each, one per ms from t = 0. */
function warmed(ms: number, n: number = minSamples, ceiling: number = CEILING): LatencyBudget {
  const b = new LatencyBudget(ceiling);
  for (let i = 0; i < n; i++) b.answered(ms, i);
  return b;
}

/**
 * Calls against a provider that answers every call after `latency` ms: each one times out when
 * its budget is shorter. Returns how many timed out.
 */
function run(b: LatencyBudget, latency: number, calls: number, start: number): number {
  let timeouts = 0;
  for (let i = 0; i < calls; i++) {
    const now = start + i;
    if (latency > b.budget(now).ms) {
      b.timedOut(now);
      timeouts++;
    } else b.answered(latency, now);
  }
  return timeouts;
}

describe('nearestRankP99', () => {
  it('is a sample with at least 99 % of the samples at or below it, and no smaller one is', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100_000), { minLength: 1, maxLength: 400 }), (values) => {
        const p = nearestRankP99(values);
        expect(values).toContain(p);
        const atOrBelow = (x: number) => values.filter((v) => v <= x).length;
        expect(atOrBelow(p)).toBeGreaterThanOrEqual(0.99 * values.length);
        const below = values.filter((v) => v < p);
        if (below.length) expect(atOrBelow(Math.max(...below))).toBeLessThan(0.99 * values.length);
      }),
      RUNS,
    );
  });
});

describe('the latency budget', () => {
  it('is the ceiling until the window holds enough answers', () => {
    const b = warmed(50, minSamples - 1);
    expect(b.budget(minSamples)).toEqual({ ms: CEILING, p99Ms: undefined, backoff: 0 });
    b.answered(50, minSamples);
    expect(b.budget(minSamples)).toEqual({ ms: floorMs, p99Ms: 50, backoff: 0 });
  });

  it('is p99 × k between the floor and the ceiling, a ceiling under the floor winning', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: minSamples, maxLength: 300 }),
        fc.integer({ min: 1, max: 60_000 }),
        (latencies, ceiling) => {
          const b = new LatencyBudget(ceiling);
          latencies.forEach((ms, i) => {
            b.answered(ms, i);
          });
          const { ms, p99Ms } = b.budget(latencies.length);
          const window = latencies.slice(-TIMEOUT_BUDGET.windowSize);
          expect(p99Ms).toBe(nearestRankP99(window));
          expect(ms).toBe(Math.min(ceiling, Math.max(Math.min(floorMs, ceiling), Math.ceil(p99Ms! * k))));
        },
      ),
      RUNS,
    );
  });

  it('forgets answers older than maxAgeMs: a quiet endpoint starts again from the ceiling', () => {
    const b = warmed(50);
    expect(b.budget(maxAgeMs).ms).toBe(floorMs);
    expect(b.budget(maxAgeMs + minSamples).ms).toBe(CEILING);
  });

  it('timeouts are no samples: any number of them leaves the p99 as it was', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 50 }), (ms, timeouts) => {
        const b = warmed(ms);
        for (let i = 0; i < timeouts; i++) b.timedOut(minSamples);
        const after = b.budget(minSamples);
        expect(after.p99Ms).toBe(ms);
        expect(after.ms).toBeLessThanOrEqual(CEILING);
      }),
      RUNS,
    );
  });

  it('a stall doubles the next budget; the next answer in the usual time undoes it', () => {
    const b = warmed(50);
    b.timedOut(minSamples);
    expect(b.budget(minSamples)).toEqual({ ms: 2 * floorMs, p99Ms: 50, backoff: 1 });
    expect(describeBudget(b.budget(minSamples))).toBe('adaptive, p99 50 ms, doubled 1× after timeouts');
    b.answered(50, minSamples);
    expect(b.budget(minSamples)).toEqual({ ms: floorMs, p99Ms: 50, backoff: 0 });
  });

  it('a provider slow for real (any latency under the ceiling) costs a few timeouts, then none', () => {
    const doublings = Math.ceil(Math.log2(CEILING / floorMs));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 250 }),
        fc.integer({ min: floorMs + 1, max: CEILING }),
        fc.integer({ min: 0, max: 20 }),
        (fast, slow, stalls) => {
          const b = warmed(fast, TIMEOUT_BUDGET.windowSize);
          // some stalls before the change, then the provider answers everything in `slow` ms
          for (let i = 0; i < stalls; i++) b.timedOut(minSamples);
          const start = TIMEOUT_BUDGET.windowSize;
          expect(run(b, slow, 200, start)).toBeLessThanOrEqual(doublings);
          expect(run(b, slow, 200, start + 200)).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a provider faster again comes back to its floor', () => {
    const b = warmed(3_000, TIMEOUT_BUDGET.windowSize);
    expect(b.budget(TIMEOUT_BUDGET.windowSize).ms).toBe(CEILING);
    expect(run(b, 50, TIMEOUT_BUDGET.windowSize, TIMEOUT_BUDGET.windowSize)).toBe(0);
    expect(b.budget(2 * TIMEOUT_BUDGET.windowSize).ms).toBe(floorMs);
  });

  it('says where a budget comes from', () => {
    expect(describeBudget(warmed(48.4).budget(minSamples))).toBe('adaptive, p99 48 ms');
    expect(describeBudget(new LatencyBudget(CEILING).budget(0))).toBe(
      'the configured timeout: too few recent answers to adapt',
    );
  });
});
