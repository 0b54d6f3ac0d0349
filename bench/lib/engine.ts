import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { type Config, loadConfig } from '../../src/config.js';
import { createRedis } from '../../src/jobs/connection.js';
import { type PublishResult, publishMany } from '../../src/jobs/publish.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import { createLogger, type Logger } from '../../src/log.js';
import { loadRulesFile } from '../../src/rules/load.js';
import { type Keys, keysFor } from '../../src/store/keys.js';
import { type ScriptedRedis, withScripts } from '../../src/store/scripts.js';
import type { EngineObserver } from '../../src/workers/observer.js';
import { type RunningWorkers, startWorkers } from '../../src/workers/run-workers.js';
import {
  DEMO_APP,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/yunxin/simulator/server.js';
import { benchPrefix, deletePrefix } from './redis.js';
import { waitUntil } from './time.js';

export const ROOT = join(import.meta.dirname, '../..');
export const RULES = join(ROOT, 'examples/rules.json');

export interface BenchEngine {
  sim: Simulator;
  config: Config;
  prefix: string;
  keys: Keys;
  /** a producer-side connection with the product's Lua scripts registered */
  redis: ScriptedRedis;
  events: Queue;
  reconcile: Queue;
  maintenance: Queue;
  /** undefined when started with `workers: false` (worker processes, or seeding first) */
  workers: RunningWorkers | undefined;
  startWorkers(observer?: EngineObserver): Promise<RunningWorkers>;
  publish(events: readonly unknown[]): Promise<PublishResult>;
  /** resolves once no event, reconcile or maintenance job is waiting, delayed or active */
  idle(timeoutMs?: number): Promise<void>;
  /** the environment of a `folder-sync worker` process working on this engine's prefix */
  workerEnv(overrides?: Record<string, string>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export interface BenchEngineOptions {
  redisUrl: string;
  label: string;
  env?: Record<string, string>;
  sim?: SimulatorOptions;
  /** start the workers in this process now (default true) */
  workers?: boolean;
  observer?: EngineObserver;
  /** leave the keys on close (a private redis-server that is stopped afterwards anyway) */
  keepKeys?: boolean;
}

export const benchLog: Logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', name: 'bench' });

/**
 * The product in this process against an in-process simulator, under a private key prefix.
 * The rules hash is recorded before workers start, so starting them never queues the
 * rules-changed walk over accounts a benchmark seeded beforehand.
 */
export async function startBenchEngine(opts: BenchEngineOptions): Promise<BenchEngine> {
  const sim = await startSimulator({ rateLimit: { perSecond: 0 }, ...opts.sim });
  const prefix = benchPrefix(opts.label);
  const env: Record<string, string> = {
    REDIS_URL: opts.redisUrl,
    QUEUE_PREFIX: prefix,
    FOLDER_RULES: RULES,
    YUNXIN_ENDPOINT: sim.url,
    YUNXIN_APP_KEY: DEMO_APP.appKey,
    YUNXIN_APP_SECRET: DEMO_APP.appSecret,
    YUNXIN_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const config = loadConfig(env);
  const keys = keysFor(prefix);
  const redis = withScripts(createRedis(config.REDIS_URL, 'worker'));
  const { hash } = await loadRulesFile(config.FOLDER_RULES);
  await redis.set(keys.rulesHash, hash);
  const events = openQueue(QUEUES.events, redis, prefix);
  const reconcile = openQueue(QUEUES.reconcile, redis, prefix);
  const maintenance = openQueue(QUEUES.maintenance, redis, prefix);

  const engine: BenchEngine = {
    sim,
    config,
    prefix,
    keys,
    redis,
    events,
    reconcile,
    maintenance,
    workers: undefined,
    startWorkers: async (observer) => {
      if (engine.workers) throw new Error('workers already started');
      engine.workers = await startWorkers(config, benchLog, observer ?? opts.observer ?? {});
      return engine.workers;
    },
    publish: (list) => publishMany(events, list),
    idle: (timeoutMs = 600_000) =>
      waitUntil(
        async () => {
          for (const q of [events, reconcile, maintenance]) {
            const c = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
            if (Object.values(c).some((n) => n > 0)) return false;
          }
          return true;
        },
        'the queues to drain',
        timeoutMs,
        50,
      ),
    workerEnv: (overrides = {}) => ({ ...env, ...overrides }),
    close: async () => {
      await engine.workers?.close();
      await Promise.all([events.close(), reconcile.close(), maintenance.close()]);
      await sim.close();
      redis.disconnect();
      if (!opts.keepKeys) await deletePrefix(config.REDIS_URL, prefix);
    },
  };
  if (opts.workers !== false) await engine.startWorkers();
  return engine;
}

/** The simulator's call statistics and records, typed from the simulator itself. */
export type SimCallStats = ReturnType<Simulator['calls']['snapshot']>;
export type SimCallRecord = Parameters<Simulator['calls']['record']>[0];
