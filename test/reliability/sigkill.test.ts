/**
 * SIGKILL at random moments: two `folder-sync worker` processes work through a seeded workload
 * published in bursts while a killer loop SIGKILLs a random worker (now and then both) at random
 * moments and starts a new one each time. At the end every invariant holds, and no account was
 * ever reconciled by two processes at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, PROVIDERS } from '../support/engine.js';
import type { Spawned } from '../support/processes.js';
import {
  overlappingReconciles,
  reconciledLines,
  WorkerProcesses,
  workerEnv,
} from '../support/worker-processes.js';
import {
  dumpTails,
  loopDelayMonitor,
  publishInChunks,
  seedFrom,
  startRateLimitedEngine,
  subjectOf,
} from './harness.js';
import { expectInvariants, summary } from './invariants.js';
import type { Event } from './model.js';
import { PROFILE, report, scenarioRandom } from './profile.js';
import { makeWorkload } from './workload.js';

let engine: Engine<SimulatorBase> | undefined;
const procs = new WorkerProcesses();

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') dumpTails(procs.outputs());
  await procs.stopAll();
  await engine?.close();
  engine = undefined;
});

describe.each(PROVIDERS)('SIGKILL of worker processes (%s)', (provider) => {
  it(`${PROFILE.sigkill.kills} kills at random moments, each followed by a restart: every invariant holds`, async () => {
    const P = PROFILE.sigkill;
    const scenario = provider === 'yunxin' ? 'sigkill' : `sigkill-${provider}`;
    const rand = scenarioRandom(scenario);
    const loopDelay = loopDelayMonitor();
    const e = await startRateLimitedEngine(P.rate, { provider, noWorkers: true, seed: seedFrom(rand) });
    engine = e;
    const env = workerEnv(e.config);
    const workload = makeWorkload({
      label: 'kill',
      accounts: P.accounts,
      bigAccounts: P.bigAccounts,
      bursts: P.bursts,
      random: rand,
    });

    const alive: Spawned[] = await Promise.all([procs.start(env), procs.start(env)]);
    const published: Event[] = [];
    const publish = async (burst: Event[]) => {
      const res = await publishInChunks(e, burst);
      expect(res.refused).toEqual([]);
      published.push(...burst);
    };

    // bursts spread over the kills: burst b goes out before kill number round(b * kills / bursts)
    const burstAt = workload.bursts.map((_, b) => Math.round((b * P.kills) / workload.bursts.length));
    let nextBurst = 0;
    const kills: Array<{ calls: number; both: boolean }> = [];
    const started = Date.now();
    for (let k = 0; k < P.kills; k++) {
      while (nextBurst < workload.bursts.length && burstAt[nextBurst]! <= k) {
        await publish(workload.bursts[nextBurst++]!);
      }
      await sleep(200 + Math.floor(rand() * 2300)); // random timing, not synchronisation
      const i = Math.floor(rand() * alive.length);
      const both = rand() < 0.15;
      await procs.kill(alive[i]!);
      if (both) await procs.kill(alive[1 - i]!);
      kills.push({ calls: e.sim.calls.snapshot().total, both });
      if (both) {
        await sleep(Math.floor(rand() * 1000)); // nobody works for a moment
        [alive[0], alive[1]] = await Promise.all([procs.start(env), procs.start(env)]);
      } else {
        alive[i] = await procs.start(env);
      }
    }
    while (nextBurst < workload.bursts.length) await publish(workload.bursts[nextBurst++]!);
    const killsDoneAfter = Date.now() - started;

    const result = await expectInvariants(subjectOf(e, procs), published, {
      rate: P.rate,
      loopDelayMs: loopDelay,
      timeoutMs: PROFILE.name === 'full' ? 240_000 : 120_000,
    });

    const lines = reconciledLines(procs.outputs());
    expect(overlappingReconciles(lines)).toEqual([]);
    // the kills landed while there was work: provider calls kept coming between them
    const during = kills.filter((k, i) => i > 0 && k.calls > kills[i - 1]!.calls).length;
    expect(during).toBeGreaterThan(kills.length / 2);

    report(scenario, {
      kills: kills.length,
      bothKilled: kills.filter((k) => k.both).length,
      killsWithCallsSinceThePrevious: during,
      callsAtKills: kills.map((k) => k.calls).join(','),
      processes: procs.outputs().length,
      accounts: result.accounts,
      events: result.events,
      published: published.length,
      groups: result.groups,
      reconciles: lines.length,
      killPhaseMs: killsDoneAfter,
      totalMs: Date.now() - started,
      ...summary(result.stats),
      sentPeakPerSecond: result.sentPeakPerSecond,
      arrivalSlack: result.arrivalSlack,
      testProcessMaxLoopDelayMs: result.loopDelayMs,
    });
  });
});
