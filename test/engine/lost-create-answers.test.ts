/**
 * A create the provider applied but whose answer never came (the client gave up first): the
 * ledger holds it as `pending`, and the next reconcile lists the groups and adopts it, never
 * creating it twice. In-process workers against the simulators over HTTP; a worker killed while
 * its creates are held is processes-lost-answers.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, PROVIDERS, providerEnv, startEngine } from '../support/engine.js';
import { expectedFolders, FOLDER_NAMES } from '../support/folder-model.js';
import {
  ADOPTED,
  allFoldersFilled,
  expectConverged,
  range,
  smallAccount,
} from '../support/process-scenarios.js';

let engine: Engine<SimulatorBase> | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('lost create answers', () => {
  it.each(PROVIDERS)(
    'apply-then-stall on create (%s): the lost answer is adopted, never created twice',
    async (provider) => {
      // the client gives up after 500 ms; half the creates are answered after 3 s
      engine = await startEngine({ provider, env: providerEnv({ timeoutMs: 500 }) });
      const e = engine;
      e.sim.setFaults({ stallRate: 0.5, stallMs: 3000, stallEndpoints: ['group.create'] });
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

      const adopted = e.logs().split(ADOPTED).length - 1;
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
});
