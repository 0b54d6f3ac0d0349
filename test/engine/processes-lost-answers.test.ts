/**
 * Creates whose answer never reaches `folder-sync worker` processes: a stall past the client's
 * timeout, or a SIGKILL while the answers are held. The group exists at the provider and the
 * ledger only says `pending`; the next reconcile lists the groups and adopts it, never creating
 * it twice. Expected groups come from the independent model in test/support/folder-model.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDERS, providerEnv } from '../support/engine.js';
import { expectedFolders, FOLDER_NAMES } from '../support/folder-model.js';
import {
  ADOPTED,
  allFoldersFilled,
  countLines,
  expectConverged,
  processScenario,
  range,
  smallAccount,
} from '../support/process-scenarios.js';
import { simGroups, workerEnv } from '../support/worker-processes.js';

const scenario = processScenario();
const { procs } = scenario;
afterEach(scenario.cleanUp);

describe('worker processes', () => {
  it.each(PROVIDERS)(
    'apply-then-stall on create (%s): the lost answer is adopted, never created twice',
    async (provider) => {
      const e = await scenario.start(provider);
      e.sim.setFaults({ stallRate: 0.5, stallMs: 3000, stallEndpoints: ['group.create'] });
      const worker = await procs.start(workerEnv(e.config, providerEnv({ timeoutMs: 500 })));
      const accounts = range(15).map((i) => `stall-${String(i).padStart(2, '0')}`);
      const published = accounts.flatMap(smallAccount);
      const expected = allFoldersFilled(expectedFolders(published));
      expect(expected.get('stall-00')).toEqual({
        // "back" came back after its removal with only `pinned`: no longer a project
        Projects: ['2|p1', '2|p2'],
        Customers: ['1|c2', '2|c1'],
        'Direct messages': ['1|c2', '1|u1'],
      });
      await e.publish(published);

      await e.eventually(() => expectConverged(e, expected), 60_000);
      await e.idle(30_000);
      expectConverged(e, expected);

      const adopted = countLines(worker.output(), ADOPTED);
      expect(adopted).toBeGreaterThan(0);
      // each folder's group was created exactly once; nothing needed deleting
      expect(e.sim.calls.count('group.create')).toBe(accounts.length * FOLDER_NAMES.length);
      expect(e.sim.calls.count('group.delete')).toBe(0);
      console.log(
        `apply-then-stall (${provider}): ${adopted} of ${accounts.length * 3} creates lost their answer and were adopted`,
      );
    },
    90_000,
  );

  it.each(PROVIDERS)(
    'a worker killed while its creates are held (%s): the next one adopts them',
    async (provider) => {
      const e = await scenario.start(provider);
      e.sim.setFaults({ stallRate: 1, stallMs: 2000, stallEndpoints: ['group.create'] });
      // the client waits longer than the stall: the create is held, not timed out, when the kill comes
      const env = workerEnv(e.config, providerEnv({ timeoutMs: 10_000 }));
      const first = await procs.start(env);
      const accounts = range(5).map((i) => `held-${i}`);
      const published = accounts.flatMap(smallAccount);
      const expected = allFoldersFilled(expectedFolders(published));
      await e.publish(published);

      // every account's first create is applied and its answer held
      await e.eventually(() => {
        for (const a of accounts) expect(Object.keys(simGroups(e, a).groups)).toHaveLength(1);
      });
      await procs.kill(first);
      const heldIds = new Map(accounts.map((a) => [a, simGroups(e, a).ids]));
      const held = e.sim.calls.count('group.create');
      expect(held).toBe(accounts.length);
      expect(countLines(first.output(), 'reconciled')).toBe(0);

      e.sim.setFaults({ stallRate: 0 });
      const second = await procs.start(env);
      await e.eventually(() => expectConverged(e, expected), 60_000);
      await e.idle(30_000);
      expectConverged(e, expected);

      // the held groups were adopted (same ids), not created again and not deleted as duplicates
      for (const a of accounts) expect(simGroups(e, a).ids).toMatchObject(heldIds.get(a)!);
      expect(e.sim.calls.count('group.create')).toBe(accounts.length * FOLDER_NAMES.length);
      expect(e.sim.calls.count('group.delete')).toBe(0);
      expect(countLines(second.output(), ADOPTED)).toBe(held);
    },
    90_000,
  );
});
