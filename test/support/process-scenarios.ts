/**
 * What the worker-process tests of test/engine/processes*.test.ts share: a simulator and a key
 * prefix for `folder-sync worker` children (startEngine with noWorkers), the accounts they
 * publish, and how they compare the simulator's groups with the independent folder model.
 */
import { expect } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, ev, type ProviderName, p2p, startEngine, team } from './engine.js';
import { FOLDER_NAMES, type FolderName } from './folder-model.js';
import { logLines, printTails, simGroups, WorkerProcesses } from './worker-processes.js';

export type Event = Record<string, unknown>;

export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** The log line of a create whose answer was lost, adopted by listing the groups. */
export const ADOPTED = 'adopted a group whose create answer was lost';

export const countLines = (output: string, msg: string) =>
  logLines(output).filter((l) => l.msg === msg).length;

/**
 * One test file's engine (simulator and key prefix, no in-process workers) and its worker
 * processes; `cleanUp` is the file's afterEach.
 */
export function processScenario() {
  let engine: Engine<SimulatorBase> | undefined;
  const procs = new WorkerProcesses();
  return {
    procs,
    /** A simulator and a key prefix for worker processes; closed after the test. */
    start: async (provider: ProviderName = 'yunxin'): Promise<Engine<SimulatorBase>> => {
      engine = await startEngine({ provider, noWorkers: true });
      return engine;
    },
    cleanUp: async (ctx: { task: { result?: { state?: string } } }) => {
      if (ctx.task.result?.state === 'fail') printTails(procs.outputs());
      await procs.stopAll();
      await engine?.close();
      engine = undefined;
    },
  };
}

/** Every account's groups equal the expected folders, and no name is held by two groups. */
export function expectConverged(
  e: Engine<SimulatorBase>,
  expected: ReadonlyMap<string, Record<string, string[]>>,
): void {
  for (const [account, folders] of expected) {
    const { groups, duplicates } = simGroups(e, account);
    expect(duplicates, account).toEqual([]);
    expect(groups, account).toEqual(folders);
  }
}

/** Expected groups: every folder must be non-empty so its group exists whatever the timing. */
export function allFoldersFilled(expected: Map<string, Record<FolderName, string[]>>) {
  for (const [account, folders] of expected) {
    for (const name of FOLDER_NAMES) expect(folders[name].length, `${account} ${name}`).toBeGreaterThan(0);
  }
  return expected;
}

/**
 * A small account: conversations in every folder, some in none (an unpinned project, an archived
 * direct message, a non-customer tag), one removed and one that comes back after its removal.
 */
export function smallAccount(a: string): Event[] {
  return [
    ev('conversation.upserted', a, { ...team('p1'), attributes: { kind: 'project', pinned: true } }),
    ev('conversation.upserted', a, { ...team('p2'), attributes: { kind: 'project' } }),
    ev('conversation.pinned', a, team('p2')),
    ev('conversation.upserted', a, { ...team('p3'), attributes: { kind: 'project' } }),
    ev('conversation.tagged', a, { ...team('c1'), tag: 'customer' }),
    ev('conversation.tagged', a, { ...p2p('c2'), tag: 'customer' }),
    ev('conversation.tagged', a, { ...team('v1'), tag: 'vip' }),
    ev('conversation.upserted', a, { ...p2p('u1'), attributes: {} }),
    ev('conversation.upserted', a, { ...p2p('u2'), attributes: {} }),
    ev('conversation.archived', a, p2p('u2')),
    ev('conversation.tagged', a, { ...team('gone'), tag: 'customer' }),
    ev('conversation.removed', a, team('gone')),
    ev('conversation.upserted', a, { ...team('back'), attributes: { kind: 'project', pinned: true } }),
    ev('conversation.removed', a, team('back')),
    ev('conversation.pinned', a, team('back')),
  ];
}

/** Every folder of examples/rules.json and VIP filled, with conversations in none of them too. */
export function filledAccount(a: string, n = 6): Event[] {
  return range(n).flatMap((i) => [
    ev('conversation.upserted', a, {
      ...team(`p${i}`),
      attributes: { kind: 'project', pinned: i % 3 !== 2 },
    }),
    ev('conversation.tagged', a, { ...team(`c${i}`), tag: 'customer' }),
    ev('conversation.tagged', a, { ...team(`v${i}`), tag: i % 2 === 0 ? 'vip' : 'other' }),
    ev('conversation.upserted', a, { ...p2p(`u${i}`), attributes: {} }),
    ...(i % 4 === 3 ? [ev('conversation.archived', a, p2p(`u${i}`))] : []),
  ]);
}
