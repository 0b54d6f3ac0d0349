/**
 * A worker busy with a 100k-conversation account still answers its health check: the reconcile
 * gives the event loop a turn every 20 ms (src/steps.ts), so probes and BullMQ's lock renewals
 * are never starved.
 *
 * How long a probe waits depends on the machine's load as much as on the worker, so what is
 * asserted is the CPU time the worker's event loop spent while a probe waited (Linux:
 * /proc/<pid>/task/<pid>/stat): a probe answered at the next turn of the loop waits through a
 * slice or two, 50–90 ms of CPU here under load; without the slicing one probe waits through a
 * whole phase of the reconcile, 700–850 ms of CPU here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { freePort } from '../support/compose.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';
import { WorkerProcesses, workerEnv } from '../support/worker-processes.js';

let engine: Engine<SimulatorBase> | undefined;
const procs = new WorkerProcesses();
afterEach(async () => {
  await procs.stopAll();
  await engine?.close();
  engine = undefined;
});

const CONVERSATIONS = 100_000;
/** Event-loop CPU a probe may wait through: a few 20 ms slices and a garbage collection. */
const MAX_CPU_PER_PROBE_MS = 300;

/**
 * Facts registers as the fold writes them, straight into Redis (folding 300k events takes long).
 * Every conversation is evaluated; a few thousand land in folders (the calls that mirror them
 * are not what this test is about).
 */
async function seedBigAccount(e: Engine<SimulatorBase>, account: string): Promise<void> {
  const key = keysOf(e.config).facts(account);
  const at = 1_700_000_000_000;
  for (let start = 0; start < CONVERSATIONS; start += 10_000) {
    const fields: string[] = [];
    for (let i = start; i < start + 10_000; i++) {
      fields.push(
        `2|t${i}|p`,
        `${at}|${i}|1`,
        `2|t${i}|a|kind`,
        `${at}|${i}|"${i % 3 ? 'project' : 'chat'}"`,
      );
      if (i % 10 === 1) fields.push(`2|t${i}|a|pinned`, `${at}|${i}|true`);
      if (i % 49 === 0) fields.push(`2|t${i}|t|customer`, `${at}|${i}|1`);
    }
    await e.redis.hset(key, ...fields);
  }
  // the user has chatted in each of them: the provider knows them, so adds need no create first
  (e.sim as Simulator).state.seedConversations(
    Array.from({ length: CONVERSATIONS }, (_, i) => `${account}|2|t${i}`),
  );
}

const PROC = existsSync(`/proc/${process.pid}/task/${process.pid}/stat`);
/**
 * CPU time (ms) the main thread of a process has used, where its event loop runs (helper
 * threads of the garbage collector and libuv do not hold it); USER_HZ is 100 on Linux.
 */
function cpuMs(pid: number): number {
  if (!PROC) return 0;
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One /healthz request: how long it took, and the worker's CPU time meanwhile. */
async function probe(url: string, pid: number): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  await res.text();
  return { ms: performance.now() - t0, cpuMs: cpuMs(pid) - cpu0 };
}

const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);

describe('a worker busy with a big account', () => {
  it('answers /healthz at every turn of its event loop all along the reconcile', async () => {
    engine = await startEngine({ noWorkers: true });
    const e = engine;
    await seedBigAccount(e, 'big');
    const port = await freePort();
    const worker = await procs.start(
      workerEnv(e.config, { WORKER_METRICS_PORT: String(port), LOG_LEVEL: 'info' }),
    );
    const pid = worker.child.pid!;
    const url = `http://127.0.0.1:${port}/healthz`;
    await e.eventually(() => probe(url, pid)); // it listens once its workers have started

    const probes: Array<{ ms: number; cpuMs: number }> = [];
    let done = false;
    const prober = (async () => {
      while (!done) {
        probes.push(await probe(url, pid));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const cpuBefore = cpuMs(pid);
    await e.publish([ev('conversation.tagged', 'big', { ...team('t0'), tag: 'customer' })]);
    await e.eventually(async () => {
      expect(await e.redis.hget(keysOf(e.config).status('big'), 'lastSyncAt')).not.toBeNull();
    }, 120_000);
    done = true;
    await prober;
    const cpu = probes.map((p) => p.cpuMs);
    console.log(
      `busy worker: ${probes.length} probes over a reconcile of ${cpuMs(pid) - cpuBefore} ms of worker CPU; ` +
        `the longest probe ${max(probes.map((p) => p.ms)).toFixed(0)} ms, the most worker CPU during one ${max(cpu)} ms`,
    );
    expect(Object.keys(e.groups('big')).sort()).toEqual(['Customers', 'Projects']);
    // the facts are seeded in the layout before records: this first reconcile also moves them
    // into records (src/store/migrate-facts.ts), sliced as well
    expect(probes.length).toBeGreaterThan(0);
    if (PROC) expect(max(cpu)).toBeLessThan(MAX_CPU_PER_PROBE_MS);
  }, 150_000);
});
