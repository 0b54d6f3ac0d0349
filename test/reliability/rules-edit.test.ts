/**
 * The rules file edited in place, the way editors and Kubernetes config maps do it (a new file
 * renamed over the old one), 20 times while two worker processes run and events flow. Every
 * repetition must converge: each account shows the names of the rules just written (A→B→A…, so
 * each revert is a change too) with exactly the members the model expects.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';
import { exampleRules, expectedFolders, type FolderName } from '../support/folder-model.js';
import { simGroups, WorkerProcesses, workerEnv } from '../support/worker-processes.js';
import { dumpTails } from './harness.js';

let engine: Engine<SimulatorBase> | undefined;
const procs = new WorkerProcesses();
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') dumpTails(procs.outputs());
  await procs.stopAll();
  await engine?.close();
  engine = undefined;
});

const REPETITIONS = 20;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** examples/rules.json with the Customers and Direct messages folders named otherwise. */
const folders = (customers: string, direct: string) => ({
  folders: exampleRules().folders.map((f) =>
    f.id === 'customers' ? { ...f, name: customers } : f.id === 'direct' ? { ...f, name: direct } : f,
  ),
});
const VARIANTS = [
  {
    rules: folders('Customers', 'Direct messages'),
    names: { Customers: 'Customers', 'Direct messages': 'Direct messages' },
  },
  { rules: folders('Clients', 'DMs'), names: { Customers: 'Clients', 'Direct messages': 'DMs' } },
] as const;

describe('the rules file renamed over while two workers run', () => {
  it(`converges to the rules just written, every one of ${REPETITIONS} times`, async () => {
    engine = await startEngine({ noWorkers: true });
    const e = engine;
    const dir = mkdtempSync(join(tmpdir(), 'fs-rules-edit-'));
    const path = join(dir, 'rules.json');
    const write = (rules: unknown) => {
      writeFileSync(join(dir, 'next.json'), JSON.stringify(rules));
      renameSync(join(dir, 'next.json'), path);
    };
    write(VARIANTS[0].rules);
    const env = workerEnv(e.config, { FOLDER_RULES: path });
    await Promise.all([procs.start(env), procs.start(env)]);
    const accounts = range(10).map((i) => `edit-${i}`);
    const published = accounts.flatMap((a) => [
      ev('conversation.upserted', a, { ...team('p'), attributes: { kind: 'project', pinned: true } }),
      ev('conversation.tagged', a, { ...team('c'), tag: 'customer' }),
      ev('conversation.upserted', a, { ...p2p('d'), attributes: {} }),
    ]);
    await e.publish(published);

    const started = Date.now();
    for (const rep of range(REPETITIONS)) {
      const variant = VARIANTS[(rep + 1) % 2]!;
      write(variant.rules);
      // events keep flowing while the change spreads
      const more = accounts.map((a) => ev('conversation.tagged', a, { ...team(`c${rep}`), tag: 'customer' }));
      published.push(...more);
      await e.publish(more);
      const expected = expectedFolders(published);
      await e.eventually(() => {
        for (const [a, byFolder] of expected) {
          const renamed = Object.fromEntries(
            Object.entries(byFolder).map(([folder, members]) => [
              (variant.names as Record<string, string>)[folder as FolderName] ?? folder,
              members,
            ]),
          );
          const { groups, duplicates } = simGroups(e, a);
          expect(duplicates, `repetition ${rep}, ${a}`).toEqual([]);
          expect(groups, `repetition ${rep}, ${a}`).toEqual(renamed);
        }
      }, 30_000);
    }
    console.log(
      `rules renamed over ${REPETITIONS} times with two workers: converged every time, ${Date.now() - started} ms in all`,
    );
  });
});
