/**
 * `folder-sync worker` killed with SIGKILL mid-plan, again and again: the next process resumes
 * from the ledger, adopts the creates whose answer the kill lost, and repeats almost nothing.
 * (A random SIGKILL storm on two workers is the reliability suite's test/reliability/sigkill.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ev, PROVIDERS, team } from '../support/engine.js';
import { expectConverged, processScenario, range } from '../support/process-scenarios.js';
import { workerEnv } from '../support/worker-processes.js';

const scenario = processScenario();
const { procs } = scenario;
afterEach(scenario.cleanUp);

describe('worker processes', () => {
  it.each(PROVIDERS)(
    'SIGKILL mid-plan, three times (%s): converges with no duplicate and almost no repeated work',
    async (provider) => {
      const e = await scenario.start(provider);
      e.sim.setFaults({ latencyMs: 40 });
      const concurrency = 4;
      const env = workerEnv(e.config, { WORKER_CONCURRENCY: String(concurrency) });
      // 10 accounts, 260..350 pinned project channels each: one create and 2 or 3 adds (updates)
      // per account, more accounts than the worker reconciles at once
      const sizes = range(10).map((i) => 260 + 10 * i);
      const accounts = sizes.map((_, i) => `kill-${String(i).padStart(2, '0')}`);
      const published = accounts.flatMap((a, i) =>
        range(sizes[i]!).map((k) =>
          ev('conversation.upserted', a, { ...team(`p${k}`), attributes: { kind: 'project', pinned: true } }),
        ),
      );
      const expected = new Map(
        accounts.map((a, i) => [
          a,
          {
            Projects: range(sizes[i]!)
              .map((k) => `2|p${k}`)
              .sort(),
          },
        ]),
      );
      // the fewest calls that can do it: per account 1 create (100 ids) + ceil((n − 100) / 100) adds
      const minimal = sizes.reduce((sum, n) => sum + 1 + Math.ceil((n - 100) / 100), 0);
      expect(minimal).toBe(35);
      const membershipCalls = () => e.sim.calls.count('group.create') + e.sim.calls.count('group.update');

      let worker = await procs.start(env);
      const res = await e.publish(published);
      expect(res.accepted).toBe(published.length);
      // Kill only once every event is folded: a kill between folding an event batch and queueing
      // its reconciles is a different window (processes.test.ts).
      await e.eventually(async () => {
        const c = await e.events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        expect(Object.values(c).reduce((x, y) => x + y, 0)).toBe(0);
      }, 30_000);

      // The simulator answers in this process: while the test waits for a threshold the worker
      // makes no progress this process does not see, so a kill lands a few calls past it at most.
      const kills: number[] = [];
      for (const threshold of [4, 12, 20]) {
        await e.eventually(() => expect(membershipCalls()).toBeGreaterThanOrEqual(threshold), 30_000);
        await procs.kill(worker);
        kills.push(membershipCalls());
        worker = await procs.start(env);
      }
      // every kill landed mid-plan: work was left for the next process
      for (const at of kills) expect(at).toBeLessThan(minimal);

      await e.eventually(() => expectConverged(e, expected), 60_000);
      await e.idle(30_000);
      expectConverged(e, expected);

      const stats = e.sim.calls.snapshot();
      expect(stats.maxIdsInCall).toBeLessThanOrEqual(100);
      expect(stats.callsOverIdLimit).toBe(0);
      // a create whose answer the kill lost is adopted by listing, never made again
      expect(e.sim.calls.count('group.create')).toBe(accounts.length);
      expect(e.sim.calls.count('group.delete')).toBe(0);
      // Each confirmed call is recorded before the next one starts, so a kill loses at most the
      // call in flight of each of the `concurrency` reconciles it interrupts.
      expect(membershipCalls()).toBeLessThanOrEqual(minimal + kills.length * concurrency);
      console.log(
        `SIGKILL ×${kills.length} (${provider}) at ${kills.join(', ')} membership calls: ${membershipCalls()} made, ` +
          `${minimal} minimal; ${stats.total} calls in all`,
      );
    },
    120_000,
  );
});
