import type { Queue, Worker } from 'bullmq';
import { type Config, foldOptions, keysOf } from '../config.js';
import { assertLayout, checkLayout, Deployment } from '../fleet/deployment.js';
import { Heartbeat, livenessTiming } from '../fleet/liveness.js';
import { FleetRules } from '../fleet/rules.js';
import { fleetState } from '../fleet/state.js';
import { takeOverDeadWorkers } from '../fleet/takeover.js';
import { createRedis, type RedisClient, redisEndpoint } from '../jobs/connection.js';
import { enqueueRulesWalk } from '../jobs/maintenance-jobs.js';
import { openPartitioned, type PartitionedQueue } from '../jobs/partitioned-queue.js';
import { openQueue, QUEUES } from '../jobs/queues.js';
import { errorSink, type Logger } from '../log.js';
import type { ConfigurationAlarm } from '../provider/configuration-alarm.js';
import { providerProfile } from '../provider/create-provider.js';
import type { EngineObserver } from '../reconcile/observer.js';
import type { ReconcileDeps } from '../reconcile/reconcile.js';
import { checkEvictionPolicy } from '../redis/eviction.js';
import { AccountStore } from '../store/account-store.js';
import type { Keys } from '../store/keys.js';
import { withScripts } from '../store/scripts.js';
import { takeReconcileLinks } from '../telemetry/reconcile-links.js';
import { engineProvider } from './engine-provider.js';
import { eventsProcessor } from './events-processor.js';
import { maintenanceProcessor } from './maintenance-processor.js';
import type { WorkerObserver } from './observer.js';
import { openEngineWorkers, watchJobRuns } from './open-workers.js';
import { reconcileProcessor } from './reconcile-processor.js';
import { Verifier } from './verifier.js';

export interface RunningWorkers {
  /**
   * Stops taking jobs; a reconcile in flight finishes its current call and ledger write, then
   * stops (its job is retried later, from the ledger); closes connections.
   */
  close(): Promise<void>;
  /** every worker is running and Redis answers */
  ready(): Promise<boolean>;
  workers: Worker[];
  deployment: Deployment;
  rules: FleetRules;
  /** the fleet's shared state and this process's provider health, as /readyz shows them */
  fleetState(): Promise<Awaited<ReturnType<typeof fleetState>> & { degraded?: string[] }>;
}

/** What every step of a worker process is given: its connection, keys and logger. */
interface ProcessBase {
  redis: RedisClient;
  keys: Keys;
  log: Logger;
}

/** How often a worker looks at the deployment sentinel (a wiped Redis is noticed this fast). */
const SENTINEL_CHECK_MS = 5_000;

/** `folder-sync worker`: the event folder, the reconciler, the maintenance walker, verification. */
export async function startWorkers(
  config: Config,
  log: Logger,
  observer: WorkerObserver = {},
): Promise<RunningWorkers> {
  const { redis, keys, deployment } = await connectChecked(config, log, observer);
  const background = startBackground(config, { redis, keys, deployment, log });
  const base = { redis, keys, log };
  const queues = {
    reconcile: openPartitioned(QUEUES.reconcile, redis, keys, errorSink(log, 'queue reconcile')),
    maintenance: openQueue(
      QUEUES.maintenance,
      redis,
      config.QUEUE_PREFIX,
      errorSink(log, 'queue maintenance'),
    ),
  };
  const store = new AccountStore(redis, keys);
  const rules = await startFleetRules(config, { ...base, store, observer, maintenance: queues.maintenance });
  const shutdown = new AbortController();
  const engine = engineProvider(config, { ...base, observer, shutdown: shutdown.signal });
  const verifier = new Verifier({
    ...base,
    reconcile: queues.reconcile,
    perSecond: config.PROVIDER_RATE_LIMIT,
    share: config.VERIFY_SHARE,
    minIntervalMs: config.VERIFY_MIN_INTERVAL_MS,
  });
  const reconcileDeps = reconcileDepsOf(config, {
    ...base,
    store,
    engine,
    rules,
    deployment,
    verifier,
    observer,
  });
  const processors = processorsOf(config, {
    ...base,
    store,
    reconcileDeps,
    queue: queues.reconcile,
    observer,
    signal: shutdown.signal,
    workerId: background.heartbeat.id,
  });
  const workers = openEngineWorkers(config, base, processors);
  watchJobRuns(workers, observer, log);
  await background.heartbeat.start();
  verifier.start();
  log.info(
    startedFields(config, { keys, worker: background.heartbeat.id, engine, rules, deployment }),
    'workers started',
  );
  return runningWorkers({
    redis,
    lockMs: config.LOCK_MS,
    keys,
    workers,
    deployment,
    rules,
    engine,
    shutdown,
    background,
    verifier,
    queues,
  });
}

/** The running process's handle: readiness, the fleet state /readyz shows, and an orderly close. */
function runningWorkers(p: {
  redis: RedisClient;
  lockMs: number;
  keys: Keys;
  workers: Worker[];
  deployment: Deployment;
  rules: FleetRules;
  engine: ReturnType<typeof engineProvider>;
  shutdown: AbortController;
  background: ReturnType<typeof startBackground>;
  verifier: Verifier;
  queues: { reconcile: PartitionedQueue; maintenance: Queue };
}): RunningWorkers {
  const { redis, workers, shutdown } = p;
  return {
    workers,
    deployment: p.deployment,
    rules: p.rules,
    fleetState: async () => withAlarm(await fleetState(redis, p.keys, p.lockMs), p.engine.alarm.state()),
    ready: async () =>
      !shutdown.signal.aborted && workers.every((w) => w.isRunning()) && (await redis.ping()) === 'PONG',
    close: async () => {
      p.background.stop();
      p.rules.stop();
      // abort first: reconciles stop after the call in flight and its ledger write
      shutdown.abort();
      await p.verifier.stop();
      await Promise.all(workers.map((w) => w.close()));
      // leases are released: leave the fleet, so no one takes over what this process no longer holds
      await p.background.heartbeat.stop().catch(() => {});
      await Promise.all([p.queues.reconcile.close(), p.queues.maintenance.close()]);
      await p.engine.provider.close();
      await redis.quit();
    },
  };
}

/** What a reconcile needs of this process: the store, the provider behind the gate, the fleet's rules and epoch. */
function reconcileDepsOf(
  config: Config,
  deps: ProcessBase & {
    store: AccountStore;
    engine: ReturnType<typeof engineProvider>;
    rules: FleetRules;
    deployment: Deployment;
    verifier: Verifier;
    observer: WorkerObserver;
  },
): ReconcileDeps {
  const { rules, deployment, verifier } = deps;
  return {
    store: deps.store,
    provider: deps.engine.provider,
    gate: deps.engine.gate,
    rules: (generation) => rules.at(generation),
    epoch: (sentinel) => deployment.epoch(sentinel),
    now: Date.now,
    random: Math.random,
    retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
    log: deps.log,
    leaseMs: config.LOCK_MS,
    observer: deps.observer,
    chargeVerification: (requests, request) => verifier.charge(requests, request),
    createMissingConversations: config.CREATE_MISSING_CONVERSATIONS,
    createAnswerWindowMs: config.PROVIDER_TIMEOUT_MS,
  };
}

/** The "workers started" line: what this process runs, under which rules and epoch. */
function startedFields(
  config: Config,
  s: {
    keys: Keys;
    worker: string;
    engine: ReturnType<typeof engineProvider>;
    rules: FleetRules;
    deployment: Deployment;
  },
) {
  return {
    prefix: config.QUEUE_PREFIX,
    worker: s.worker,
    partitions: { of: s.keys.partitions, taken: config.WORKER_PARTITIONS },
    provider: s.engine.provider.name,
    rules: { generation: s.rules.current()?.generation, hash: s.rules.current()?.hash },
    epoch: s.deployment.current()?.epoch,
    rateLimit: config.PROVIDER_RATE_LIMIT,
  };
}

/** The fleet's rules, as this process follows them (a change here queues the walk of every account). */
async function startFleetRules(
  config: Config,
  deps: ProcessBase & { store: AccountStore; observer: WorkerObserver; maintenance: Queue },
): Promise<FleetRules> {
  const rules = new FleetRules({
    path: config.FOLDER_RULES,
    redis: deps.redis,
    keys: deps.keys,
    store: deps.store,
    profile: providerProfile(config),
    log: deps.log,
    maxDeleteShare: config.RULES_MAX_DELETE_SHARE,
    onHeld: (held) => deps.observer.rulesHeld?.(held),
    enqueueWalk: (stored) => enqueueRulesWalk(deps.maintenance, stored),
  });
  await rules.start();
  return rules;
}

/** The three processors: fold events, reconcile an account, walk the maintenance jobs. */
function processorsOf(
  config: Config,
  deps: ProcessBase & {
    store: AccountStore;
    reconcileDeps: ReconcileDeps;
    queue: PartitionedQueue;
    observer: WorkerObserver;
    signal: AbortSignal;
    workerId: string;
  },
) {
  const { redis, keys, log, observer, signal } = deps;
  const common = { redis, keys, reconcile: deps.queue, debounceMs: config.DEBOUNCE_MS, log };
  return {
    events: eventsProcessor({ ...common, observer, foldOptions: () => foldOptions(config) }),
    reconcile: reconcileProcessor({
      reconcileDeps: deps.reconcileDeps,
      pendingEvents: async (account) => Number((await redis.get(keys.pendingEvents(account))) ?? 0),
      park: (account, record) => deps.store.park(account, record),
      traceLinks: (account) => takeReconcileLinks(redis, keys, account),
      reconcile: deps.queue,
      debounceMs: config.DEBOUNCE_MS,
      backlogWaitMs: config.BACKLOG_WAIT_MS,
      log,
      observer,
      signal,
      workerId: deps.workerId,
    }),
    maintenance: maintenanceProcessor({ ...common, signal }),
  };
}

/** Connects and refuses a Redis this deployment must not run on (eviction, layout, partition count). */
async function connectChecked(config: Config, log: Logger, observer: EngineObserver) {
  const redis = withScripts(createRedis(redisEndpoint(config), 'worker', errorSink(log, 'redis')));
  const keys = keysOf(config);
  const deployment = new Deployment({
    redis,
    keys,
    log,
    onDataLoss: (reason) => observer.dataLoss?.(reason),
  });
  try {
    await checkEvictionPolicy(redis, { allowEviction: config.REDIS_ALLOW_EVICTION, log });
    await checkLayout(redis, keys);
    // a sentinel written just now (a first start, or Redis lost it) holds this process's count
    assertLayout(await deployment.check(), keys.partitions);
  } catch (error) {
    redis.disconnect(); // refused: nothing else is open yet
    throw error;
  }
  return { redis, keys, deployment };
}

/**
 * The process's timers: the deployment sentinel check, and each heartbeat's takeover of what
 * workers that stopped beating held (src/fleet/takeover.ts). The heartbeat starts once the
 * workers are open.
 */
function startBackground(config: Config, deps: ProcessBase & { deployment: Deployment }) {
  const { redis, keys, log } = deps;
  const warn = (what: string) => (error: unknown) => log.warn({ err: error }, `${what} failed`);
  const sentinel = setInterval(
    () => deps.deployment.check().catch(warn('deployment sentinel check')),
    SENTINEL_CHECK_MS,
  );
  const takeover = setInterval(
    () => takeOverDeadWorkers(redis, keys, log, config.LOCK_MS).catch(warn('takeover of dead workers')),
    livenessTiming(config.LOCK_MS).beatMs,
  );
  sentinel.unref();
  takeover.unref();
  return {
    heartbeat: new Heartbeat(redis, keys, config.LOCK_MS, log),
    stop: () => {
      clearInterval(sentinel);
      clearInterval(takeover);
    },
  };
}

/** /readyz's fleet state, degraded while the provider answers as if misconfigured. */
function withAlarm<T extends object>(state: T, misconfigured: ReturnType<ConfigurationAlarm['state']>) {
  if (!misconfigured) return state;
  const since = new Date(misconfigured.since).toISOString();
  return {
    ...state,
    degraded: [
      `the provider answers ${misconfigured.code} (misconfigured: credentials, SDKAppID or admin account) since ${since}`,
    ],
  };
}
