import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Config, loadConfig } from '../../src/config.js';
import { createRedis } from '../../src/jobs/connection.js';
import { type PublishResult, publishMany } from '../../src/jobs/publish.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { EngineObserver } from '../../src/workers/observer.js';
import { type RunningWorkers, startWorkers } from '../../src/workers/run-workers.js';
import {
  DEMO_APP,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/yunxin/simulator/server.js';
import { deleteKeys, redisUrl, uniquePrefix } from './redis.js';

export interface Engine {
  sim: Simulator;
  config: Config;
  redis: Redis;
  events: Queue;
  reconcile: Queue;
  workers: RunningWorkers;
  logs: () => string;
  publish(events: readonly unknown[]): Promise<PublishResult>;
  /** the simulator's groups of an account as {name → sorted members (conversation keys)} */
  groups(account: string): Record<string, string[]>;
  /** polls until the check passes (returns) or the deadline passes (throws the last failure) */
  eventually<T>(check: () => T | Promise<T>, timeoutMs?: number): Promise<T>;
  /** waits until no event or reconcile job is waiting, delayed or active */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface EngineOptions {
  sim?: SimulatorOptions;
  env?: Record<string, string>;
  observer?: EngineObserver;
  /** start no workers (tests that run worker processes themselves) */
  noWorkers?: boolean;
}

/** A simulator, a private key prefix in the test Redis, and the workers running in-process. */
export async function startEngine(opts: EngineOptions = {}): Promise<Engine> {
  const sim = await startSimulator({ admin: true, rateLimit: { perSecond: 0 }, ...opts.sim });
  const prefix = uniquePrefix('engine');
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: prefix,
    FOLDER_RULES: 'examples/rules.json',
    YUNXIN_ENDPOINT: sim.url,
    YUNXIN_APP_KEY: DEMO_APP.appKey,
    YUNXIN_APP_SECRET: DEMO_APP.appSecret,
    YUNXIN_RATE_LIMIT: '1000',
    DEBOUNCE_MS: '50',
    RETRY_BASE_MS: '50',
    RETRY_MAX_MS: '1000',
    RATE_LIMIT_BACKOFF_MS: '50',
    RATE_LIMIT_BACKOFF_MAX_MS: '500',
    YUNXIN_TIMEOUT_MS: '2000',
    ...opts.env,
  });
  let logged = '';
  const log: Logger = createLogger(
    { level: 'info', name: 'test' },
    new Writable({
      write(chunk, _e, done) {
        logged += chunk.toString();
        done();
      },
    }),
  );
  const redis = createRedis(config.REDIS_URL, 'worker');
  const events = openQueue(QUEUES.events, redis, prefix);
  const reconcile = openQueue(QUEUES.reconcile, redis, prefix);
  const workers = opts.noWorkers
    ? { workers: [], close: async () => {}, ready: async () => true }
    : await startWorkers(config, log, opts.observer);

  const eventually = async <T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(25);
      }
    }
  };

  return {
    sim,
    config,
    redis,
    events,
    reconcile,
    workers,
    logs: () => logged,
    publish: (list) => publishMany(events, list),
    groups: (account) =>
      Object.fromEntries(
        sim.state
          .snapshot(account)
          .map((g) => [g.name, g.members.map((m) => m.slice(account.length + 1)).sort()]),
      ),
    eventually,
    idle: (timeoutMs) =>
      eventually(async () => {
        for (const q of [events, reconcile]) {
          const c = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
          const busy = Object.values(c).reduce((a, b) => a + b, 0);
          if (busy > 0) throw new Error(`${q.name} still has ${JSON.stringify(c)}`);
        }
      }, timeoutMs),
    close: async () => {
      await workers.close();
      await events.close();
      await reconcile.close();
      await sim.close();
      await deleteKeys(config.REDIS_URL, prefix);
      redis.disconnect();
    },
  };
}

let seq = 0;
/** Builds a valid event with a unique id; `at` defaults to an increasing clock. */
export function ev(
  type: string,
  account: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  seq++;
  return { id: `t-${process.pid}-${seq}`, type, account, at: 1_763_700_000_000 + seq, ...extra };
}
export const team = (target: string) => ({ conversation: { type: 2, target } });
export const p2p = (target: string) => ({ conversation: { type: 1, target } });
