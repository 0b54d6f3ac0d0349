import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { type Config, keysOf, loadConfig } from '../../src/config.js';
import { Deployment } from '../../src/fleet/deployment.js';
import { installRules, markWalked } from '../../src/fleet/rules.js';
import { createRedis, type RedisClient, redisEndpoint } from '../../src/jobs/connection.js';
import { openPartitioned, type PartitionedQueue } from '../../src/jobs/partitioned-queue.js';
import { type PublishResult, publishMany } from '../../src/jobs/publish.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import { createLogger, errorSink, type Logger } from '../../src/log.js';
import { providerProfile } from '../../src/provider/create-provider.js';
import type { ProviderProfile } from '../../src/provider/types.js';
import { loadRulesFile } from '../../src/rules/load.js';
import type { RateLimitConfig } from '../../src/simulators/kit/rate-limiter.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import { startTencentSimulator } from '../../src/simulators/tencent/server.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import { conversationIdsOf } from '../../src/simulators/yunxin/existing-conversations.js';
import { type Simulator, startSimulator } from '../../src/simulators/yunxin/server.js';
import type { Keys } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import type { WorkerObserver } from '../../src/workers/observer.js';
import { type RunningWorkers, startWorkers } from '../../src/workers/run-workers.js';
import { benchPrefix, deletePrefix } from './redis.js';
import { waitUntil } from './time.js';

export const ROOT = join(import.meta.dirname, '../..');
export const RULES = join(ROOT, 'examples/rules.json');

export type BenchProvider = 'yunxin' | 'tencent';
export const BENCH_PROVIDERS: readonly BenchProvider[] = ['yunxin', 'tencent'];

/** A group as the simulator holds it: members as conversation keys (`type|target`). */
export interface BenchGroup {
  name: string;
  members: string[];
  /** Yunxin's server_extension (the marker); Tencent groups are told by name */
  serverExtension?: string;
}

export interface BenchEngine {
  provider: BenchProvider;
  /** the configured provider's limits and group naming */
  profile: ProviderProfile;
  sim: SimulatorBase;
  /** the simulator's groups of an account */
  groups(account: string): BenchGroup[];
  config: Config;
  prefix: string;
  keys: Keys;
  /** a producer-side connection with the product's Lua scripts registered */
  redis: RedisClient;
  events: PartitionedQueue;
  reconcile: PartitionedQueue;
  maintenance: Queue;
  /** undefined when started with `workers: false` (worker processes, or seeding first) */
  workers: RunningWorkers | undefined;
  startWorkers(observer?: WorkerObserver): Promise<RunningWorkers>;
  publish(events: readonly unknown[]): Promise<PublishResult>;
  /** makes the conversations of events exist at the provider, as a user's chats would */
  seedConversations(events: readonly unknown[]): void;
  /** resolves once no event, reconcile or maintenance job is waiting, delayed or active */
  idle(timeoutMs?: number): Promise<void>;
  /** the environment of a `folder-sync worker` process working on this engine's prefix */
  workerEnv(overrides?: Record<string, string>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export interface BenchEngineOptions {
  redisUrl: string;
  /** REDIS_CLUSTER_NODES: run on a Redis Cluster (redisUrl then gives only credentials) */
  clusterNodes?: string;
  label: string;
  /** default yunxin */
  provider?: BenchProvider;
  env?: Record<string, string>;
  sim?: { rateLimit?: Partial<RateLimitConfig> };
  /** start the workers in this process now (default true) */
  workers?: boolean;
  observer?: WorkerObserver;
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
  const provider = opts.provider ?? 'yunxin';
  const {
    sim,
    groups,
    seed,
    env: providerEnv,
  } = await startProviderSimulator(provider, {
    rateLimit: { perSecond: 0, ...opts.sim?.rateLimit },
  });
  const prefix = benchPrefix(opts.label);
  const env: Record<string, string> = {
    REDIS_URL: opts.redisUrl,
    ...(opts.clusterNodes ? { REDIS_CLUSTER_NODES: opts.clusterNodes } : {}),
    QUEUE_PREFIX: prefix,
    FOLDER_RULES: RULES,
    ...providerEnv,
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  const config = loadConfig(env);
  const keys = keysOf(config);
  const redis = withScripts(createRedis(redisEndpoint(config), 'worker', errorSink(benchLog, 'bench redis')));
  // the fleet runs these rules already: workers starting later find them and walk nothing
  await new Deployment({ redis, keys, log: benchLog }).check();
  const { rules, hash } = await loadRulesFile(config.FOLDER_RULES);
  await markWalked(redis, keys, await installRules(redis, keys, rules, hash, undefined, Date.now()));
  const queueErrors = errorSink(benchLog, 'bench queue');
  const events = openPartitioned(QUEUES.events, redis, keys, queueErrors);
  const reconcile = openPartitioned(QUEUES.reconcile, redis, keys, queueErrors);
  const maintenance = openQueue(QUEUES.maintenance, redis, prefix, queueErrors);

  const engine: BenchEngine = {
    provider,
    profile: providerProfile(config),
    sim,
    groups,
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
    seedConversations: (list) => seed(list),
    publish: (list) => {
      // conversations the app describes exist in Yunxin (a user chatted in them)
      seed(list);
      return publishMany(events, list);
    },
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
      if (!opts.keepKeys) await deletePrefix(redisEndpoint(config), prefix);
    },
  };
  if (opts.workers !== false) await engine.startWorkers();
  return engine;
}

/**
 * The provider's simulator, its groups as the benchmarks compare them, and the configuration
 * that points the product at it (each benchmark sets PROVIDER_RATE_LIMIT).
 */
async function startProviderSimulator(
  provider: BenchProvider,
  opts: { rateLimit: Partial<RateLimitConfig> },
): Promise<{
  sim: SimulatorBase;
  groups: BenchEngine['groups'];
  /** makes the conversations events name exist (Yunxin; Tencent has no such notion) */
  seed: (events: readonly unknown[]) => void;
  env: Record<string, string>;
}> {
  if (provider === 'tencent') {
    const sim = await startTencentSimulator(opts);
    return {
      sim,
      groups: (account) => sim.state.snapshot(account),
      seed: () => {},
      env: {
        PROVIDER: 'tencent',
        PROVIDER_ENDPOINT: sim.url,
        PROVIDER_APP_ID: String(TENCENT_DEMO_APP.sdkappid),
        PROVIDER_SECRET: TENCENT_DEMO_APP.secretKey,
        TENCENT_ADMIN: TENCENT_DEMO_APP.admin,
        PROVIDER_TIMEOUT_MS: '10000',
      },
    };
  }
  const sim = await startSimulator(opts);
  return {
    sim,
    groups: yunxinGroupsOf(sim),
    seed: (events) => sim.state.seedConversations(conversationIdsOf(events)),
    env: {
      PROVIDER_ENDPOINT: sim.url,
      PROVIDER_APP_ID: DEMO_APP.appKey,
      PROVIDER_SECRET: DEMO_APP.appSecret,
      PROVIDER_TIMEOUT_MS: '10000',
    },
  };
}

/** A Yunxin simulator's groups with members as conversation keys (its ids name the account). */
export function yunxinGroupsOf(sim: Simulator): BenchEngine['groups'] {
  return (account) =>
    sim.state.snapshot(account).map((g) => ({
      name: g.name,
      members: g.members.map((m) => m.slice(account.length + 1)),
      serverExtension: g.serverExtension,
    }));
}

/** The simulator's call statistics and records, typed from the simulator itself. */
export type SimCallStats = ReturnType<Simulator['calls']['snapshot']>;
export type SimCallRecord = Parameters<Simulator['calls']['record']>[0];

/** Resync requests not served yet, all partitions together. */
export async function resyncRequestsLeft(engine: Pick<BenchEngine, 'redis' | 'keys'>): Promise<number> {
  const counts = await Promise.all(engine.keys.parts.map((part) => engine.redis.hlen(part.resyncRequests)));
  return counts.reduce((a, b) => a + b, 0);
}
