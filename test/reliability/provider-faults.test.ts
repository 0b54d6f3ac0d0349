/**
 * Provider faults, all at once, under two `folder-sync worker` processes, for each provider:
 * server errors (Yunxin 500/503, Tencent 50004/50005; as a body code, then as HTTP statuses from
 * a "gateway"), rate-limit storms (416, 60007) that start a blocking period, apply-then-stall
 * (the change is applied, the answer held past the client's timeout) on creates, updates and
 * deletes, transient per-item failures (110449, 50004) and slow answers. The run must converge
 * with the faults still on, and every invariant holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, PROVIDERS, providerEnv, SIM_CODES } from '../support/engine.js';
import { WorkerProcesses, workerEnv } from '../support/worker-processes.js';
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

const count = (outputs: readonly string[], msg: string) =>
  outputs
    .join('\n')
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`)).length;

describe.each(PROVIDERS)('provider faults together (%s)', (provider) => {
  const expected = SIM_CODES[provider];
  it(`server errors ${expected.serverErrors.join('/')}, rate-limit (${expected.rateLimited}) storms with blocking, apply-then-stall, transient items and slow answers: every invariant holds`, async () => {
    const P = PROFILE.faults;
    const scenario = provider === 'yunxin' ? 'provider-faults' : `provider-faults-${provider}`;
    const rand = scenarioRandom(scenario);
    const loopDelay = loopDelayMonitor();
    const e = await startRateLimitedEngine(P.rate, {
      provider,
      noWorkers: true,
      seed: seedFrom(rand),
      sim: {
        rateLimit: { perSecond: P.rate, blockMs: 300 },
        faults: {
          serverErrorRate: 0.08,
          serverErrorCodes: [...expected.serverErrors],
          serverErrorAs: 'body',
          rateLimitRate: 0.02,
          latencyMs: 10,
          latencyJitterMs: 40,
          stallRate: 0.2,
          stallMs: 1500,
          stallEndpoints: ['group.create', 'group.update', 'group.delete'],
          itemTransientRate: 0.05,
        },
      },
    });
    engine = e;
    // the client gives up before a stalled answer comes: every stall is a lost answer
    const env = workerEnv(e.config, providerEnv({ timeoutMs: 800 }));
    await Promise.all([procs.start(env), procs.start(env)]);
    const workload = makeWorkload({
      label: 'faults',
      accounts: P.accounts,
      bigAccounts: 1,
      bursts: P.bursts,
      random: rand,
    });
    const published: Event[] = [];
    const started = Date.now();
    for (const [i, burst] of workload.bursts.entries()) {
      if (i > 0) {
        // the next burst once the previous one is being worked on
        const before = e.sim.calls.snapshot().total;
        await e.eventually(() => expect(e.sim.calls.snapshot().total).toBeGreaterThan(before + 40), 60_000);
      }
      // half way, server errors come as HTTP statuses (a gateway) instead of body codes
      if (i === Math.ceil(workload.bursts.length / 2)) e.sim.setFaults({ serverErrorAs: 'http' });
      const res = await publishInChunks(e, burst);
      expect(res.refused).toEqual([]);
      published.push(...burst);
    }

    const result = await expectInvariants(subjectOf(e, procs), published, {
      rate: P.rate,
      loopDelayMs: loopDelay,
      injectedRateLimits: true,
      timeoutMs: PROFILE.name === 'full' ? 240_000 : 120_000,
    });

    // every kind of fault happened
    const codes: Record<string, number> = {};
    for (const byCode of Object.values(result.stats.byEndpoint)) {
      for (const [code, n] of Object.entries(byCode)) codes[code] = (codes[code] ?? 0) + n;
    }
    const outputs = procs.outputs();
    const adopted = count(outputs, 'adopted a group whose create answer was lost');
    const itemFailures = e.sim.calls.recentCalls().filter((c) => c.failed > 0).length;
    for (const code of [...expected.serverErrors, expected.rateLimited]) {
      expect(codes[String(code)] ?? 0, `answers with code ${code}`).toBeGreaterThan(0);
    }
    expect(adopted).toBeGreaterThan(0);
    expect(itemFailures).toBeGreaterThan(0);

    report(scenario, {
      accounts: result.accounts,
      events: result.events,
      groups: result.groups,
      codes,
      createsAdopted: adopted,
      callsWithTransientItems: itemFailures,
      totalMs: Date.now() - started,
      ...summary(result.stats),
      sentPeakPerSecond: result.sentPeakPerSecond,
      arrivalSlack: result.arrivalSlack,
      testProcessMaxLoopDelayMs: result.loopDelayMs,
    });
  });
});
