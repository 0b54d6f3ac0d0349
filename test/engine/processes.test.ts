/**
 * The engine as it runs in production: `folder-sync worker` child processes sharing one Redis.
 * The simulator, the key prefix and the publisher live in this test process (startEngine with
 * noWorkers); expected groups come from an independent model of examples/rules.json
 * (test/support/folder-model.ts), never from src/rules. Kills mid-plan are in
 * processes-sigkill.test.ts, lost create answers in processes-lost-answers.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { foldOptions, keysOf } from '../../src/config.js';
import { withScripts } from '../../src/store/scripts.js';
import { foldEvents } from '../../src/workers/fold-events.js';
import { ev, PROVIDERS, p2p, team } from '../support/engine.js';
import { expectedFolders, FOLDER_NAMES, prng } from '../support/folder-model.js';
import {
  allFoldersFilled,
  type Event,
  expectConverged,
  processScenario,
  range,
} from '../support/process-scenarios.js';
import { overlappingReconciles, reconciledLines, workerEnv } from '../support/worker-processes.js';

const scenario = processScenario();
const { procs } = scenario;
afterEach(scenario.cleanUp);

describe('worker processes', () => {
  it.each(PROVIDERS)(
    'two processes share the queues (%s): exact groups, no duplicates, an account never reconciled twice at once',
    async (provider) => {
      const e = await scenario.start(provider);
      const env = workerEnv(e.config);
      const workers = await Promise.all([procs.start(env), procs.start(env)]);
      const outputs = () => workers.map((w) => w.output());

      const rand = prng(20_251_121);
      const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
      const shuffle = <T>(list: T[]) => {
        for (let i = list.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [list[i], list[j]] = [list[j]!, list[i]!];
        }
        return list;
      };
      const accounts = range(20).map((i) => `two-${String(i).padStart(2, '0')}`);
      // 30 conversations per account: three anchors keep every folder non-empty (so each group's
      // existence does not depend on timing), 27 others change in every burst.
      const others = new Map(
        accounts.map((a) => [a, range(27, 3).map((i) => (rand() < 0.35 ? p2p(`c${i}`) : team(`c${i}`)))]),
      );
      const kinds = ['project', 'chat', 'ops'];
      const initial = (a: string): Event[] => [
        ev('conversation.upserted', a, { ...team('anchor-p'), attributes: { kind: 'project' } }),
        ev('conversation.pinned', a, team('anchor-p')),
        ev('conversation.tagged', a, { ...team('anchor-c'), tag: 'customer' }),
        ev('conversation.upserted', a, { ...p2p('anchor-d'), attributes: { name: 'anchor' } }),
        ...others.get(a)!.flatMap((c) => [
          ev('conversation.upserted', a, {
            ...c,
            attributes: { kind: pick(kinds), n: Math.floor(rand() * 9) },
          }),
          ...(rand() < 0.6 ? [ev('conversation.pinned', a, c)] : []),
          ...(rand() < 0.4 ? [ev('conversation.tagged', a, { ...c, tag: 'customer' })] : []),
          ...(rand() < 0.2 ? [ev('conversation.tagged', a, { ...c, tag: 'vip' })] : []),
          ...(rand() < 0.25 ? [ev('conversation.archived', a, c)] : []),
          ...(rand() < 0.2 ? [ev('conversation.muted', a, c)] : []),
        ]),
      ];
      const mutation = (a: string): Event => {
        const c = pick(others.get(a)!);
        switch (Math.floor(rand() * 10)) {
          case 0:
            return ev('conversation.pinned', a, c);
          case 1:
            return ev('conversation.unpinned', a, c);
          case 2:
            return ev('conversation.tagged', a, { ...c, tag: 'customer' });
          case 3:
            return ev('conversation.untagged', a, { ...c, tag: 'customer' });
          case 4:
            return ev('conversation.archived', a, c);
          case 5:
            return ev('conversation.unarchived', a, c);
          case 6:
            return ev('conversation.removed', a, c);
          case 7:
            return ev('conversation.upserted', a, {
              ...c,
              attributes: { kind: pick(kinds), pinned: rand() < 0.5 },
            });
          case 8:
            return ev('conversation.upserted', a, { ...c, attributes: { pinned: null } });
          default:
            return ev('conversation.muted', a, c);
        }
      };
      const bursts = [
        accounts.flatMap(initial),
        accounts.flatMap((a) => range(20).map(() => mutation(a))),
        accounts.flatMap((a) => range(20).map(() => mutation(a))),
      ];
      const published = bursts.flat();
      const expected = allFoldersFilled(expectedFolders(published));

      // Each burst is published (in shuffled order: facts are last-writer-wins by `at`) once some
      // reconciles of the previous one have finished, so accounts are reconciled again while
      // events keep arriving.
      for (const [i, burst] of bursts.entries()) {
        const before = reconciledLines(outputs()).length;
        if (i > 0) {
          await e.eventually(() =>
            expect(reconciledLines(outputs()).length).toBeGreaterThanOrEqual(before + 10),
          );
        }
        const res = await e.publish(shuffle([...burst]));
        expect(res).toEqual({ accepted: burst.length, refused: [] });
      }

      await e.eventually(() => expectConverged(e, expected), 60_000);
      await e.idle(30_000);
      expectConverged(e, expected);

      // Every group was created once and never deleted: no duplicate was ever made and cleaned up.
      expect(e.sim.calls.count('group.create')).toBe(accounts.length * FOLDER_NAMES.length);
      expect(e.sim.calls.count('group.delete')).toBe(0);
      expect(e.sim.calls.snapshot().maxIdsInCall).toBeLessThanOrEqual(100);

      const lines = reconciledLines(outputs());
      for (const l of lines) expect(l.finishedAt).toBeGreaterThanOrEqual(l.startedAt);
      expect(overlappingReconciles(lines)).toEqual([]);
      // work was shared, and accounts were reconciled more than once
      expect(lines.filter((l) => l.proc === 0).length).toBeGreaterThan(0);
      expect(lines.filter((l) => l.proc === 1).length).toBeGreaterThan(0);
      expect(new Set(lines.map((l) => l.account))).toEqual(new Set(accounts));
      expect(lines.length).toBeGreaterThan(accounts.length);
      console.log(
        `two workers (${provider}): ${published.length} events, ${lines.length} reconciles ` +
          `(${lines.filter((l) => l.proc === 0).length} + ${lines.filter((l) => l.proc === 1).length}), ` +
          `${e.sim.calls.snapshot().total} provider calls`,
      );
    },
    120_000,
  );

  // A worker that dies between folding an events batch (ids marked seen, facts written) and
  // queueing its reconciles leaves the job to run again; the rerun finds every event a
  // duplicate and must still queue the accounts, or the facts never reach Yunxin. The kill
  // cannot be timed into that window from outside, so the test makes the exact Redis state it
  // leaves: the job queued (as a stalled job is re-queued) and its batch folded.
  it('a worker killed between folding an events job and queueing its reconciles loses nothing', async () => {
    const e = await scenario.start();
    // a fleet that ran before: the rules hash is recorded, so a restart walks no accounts
    const before = await procs.start(workerEnv(e.config));
    await before.waitFor(/queued a reconcile for every known account/);
    await procs.stopAll();

    const events = [ev('conversation.tagged', 'lost', { ...team('c1'), tag: 'customer' })];
    await e.publish(events);
    const folded = await foldEvents(withScripts(e.redis), keysOf(e.config), events, foldOptions(e.config));
    expect([...folded.dirty]).toEqual(['lost']);

    await procs.start(workerEnv(e.config));
    await e.eventually(() => expect(e.groups('lost')).toEqual({ Customers: ['2|c1'] }), 20_000);
  }, 30_000);
});
