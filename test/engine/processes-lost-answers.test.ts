/**
 * A `folder-sync worker` process killed while the provider holds the answers of its creates:
 * the groups exist at the provider and the ledger only says `pending`; the next process lists
 * the groups and adopts them, never creating them twice. (An answer lost to a client timeout
 * without a kill is lost-create-answers.test.ts.) Expected groups come from the independent
 * model in test/support/folder-model.ts.
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
