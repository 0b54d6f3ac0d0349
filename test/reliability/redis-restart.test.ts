import type { EventEmitter } from 'node:events';
/**
 * Redis restarted mid-run: a redis-server of the test's own (AOF, `appendfsync always`, its own
 * port and directory) under two `folder-sync worker` processes. While reconciles are running it
 * is stopped — alternately SHUTDOWN and SIGKILL — kept down for a random moment (at times
 * longer than LOCK_MS) while more events are published (they wait in the client's offline
 * queue), and started again on the same port and directory. Workers, queues and the publisher
 * reconnect on their own; every invariant holds at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, PROVIDERS } from '../support/engine.js';
import { OwnRedis } from '../support/redis-server.js';
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
let redis: OwnRedis | undefined;
const procs = new WorkerProcesses();

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') {
    dumpTails([...procs.outputs(), engine?.logs() ?? '', redis?.output() ?? '']);
  }
  await procs.stopAll();
  if (redis && !redis.running()) await redis.launch();
  await engine?.close();
  engine = undefined;
  await redis?.destroy();
  redis = undefined;
});

describe.each(PROVIDERS)('Redis restarted mid-run (%s)', (provider) => {
  it(`${PROFILE.redis.restarts} restarts (SHUTDOWN and SIGKILL) while reconciles run: every invariant holds`, async () => {
    const P = PROFILE.redis;
    const scenario = provider === 'yunxin' ? 'redis-restart' : `redis-restart-${provider}`;
    const rand = scenarioRandom(scenario);
    const loopDelay = loopDelayMonitor();
    redis = await OwnRedis.start();
    // Outages last 0.3–2.3 s, some longer than LOCK_MS: job locks and account leases expire
    // while Redis is down, and a worker must not act on a lease it lost (paused-worker.test.ts).
    const lockMs = '1000';
    const e = await startRateLimitedEngine(P.rate, {
      provider,
      noWorkers: true,
      seed: seedFrom(rand),
      env: { REDIS_URL: redis.url, LOCK_MS: lockMs },
    });
    engine = e;
    // the harness's own connections (publisher, queue counts) see the outages too: count, don't print
    let harnessErrors = 0;
    for (const emitter of [e.redis, ...e.events.queues, ...e.reconcile.queues] as EventEmitter[])
      emitter.on('error', () => harnessErrors++);
    const env = workerEnv(e.config, { LOCK_MS: lockMs });
    const workers = await Promise.all([procs.start(env), procs.start(env)]);
    const workload = makeWorkload({
      label: 'redis',
      accounts: P.accounts,
      bigAccounts: 1,
      bursts: P.restarts + 1,
      random: rand,
    });
    const published: Event[] = [];
    const publish = async (burst: Event[]) => {
      const res = await publishInChunks(e, burst);
      expect(res.refused).toEqual([]);
      published.push(...burst);
    };

    const started = Date.now();
    await publish(workload.bursts[0]!);
    const restarts: Array<{ how: string; downMs: number; callsBefore: number; publishedWhileDown: number }> =
      [];
    for (let r = 0; r < P.restarts; r++) {
      // stop it while the workers are busy: some calls made since the last restart
      const before = e.sim.calls.snapshot().total;
      await e.eventually(() => expect(e.sim.calls.snapshot().total).toBeGreaterThan(before + 15), 60_000);
      const how = r % 2 === 0 ? 'SHUTDOWN' : 'SIGKILL';
      if (how === 'SHUTDOWN') await redis.shutdown();
      else await redis.kill();
      // published while Redis is down: waits in the connection's offline queue
      const burst = workload.bursts[r + 1]!;
      const whileDown = publish(burst);
      const downMs = 300 + Math.floor(rand() * 2000);
      await sleep(downMs); // the outage itself, not synchronisation
      await redis.launch();
      await whileDown;
      restarts.push({ how, downMs, callsBefore: before, publishedWhileDown: burst.length });
    }
    for (const burst of workload.bursts.slice(P.restarts + 1)) await publish(burst);

    const result = await expectInvariants(subjectOf(e, procs), published, {
      rate: P.rate,
      loopDelayMs: loopDelay,
      timeoutMs: PROFILE.name === 'full' ? 180_000 : 90_000,
    });
    // both worker processes lived through every restart
    for (const w of workers) expect(w.child.exitCode).toBeNull();
    expect(procs.outputs()).toHaveLength(2);
    // lines of the worker process that bypassed the JSON logger (raw console output)
    const raw = procs
      .outputs()
      .join('\n')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('{'));
    if (raw.length)
      console.log(
        `worker process printed ${raw.length} non-JSON lines, e.g.:\n${raw.slice(0, 6).join('\n')}`,
      );
    report(scenario, {
      restarts: restarts.map((r) => `${r.how}/${r.downMs}ms`).join(','),
      accounts: result.accounts,
      events: result.events,
      published: published.length,
      groups: result.groups,
      harnessConnectionErrors: harnessErrors,
      totalMs: Date.now() - started,
      ...summary(result.stats),
      sentPeakPerSecond: result.sentPeakPerSecond,
      arrivalSlack: result.arrivalSlack,
      testProcessMaxLoopDelayMs: result.loopDelayMs,
    });
  });
});
