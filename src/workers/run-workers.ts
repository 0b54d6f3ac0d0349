import { setMaxListeners } from 'node:events';
import type { Worker } from 'bullmq';
import { type Config, foldOptions } from '../config.js';
import { Deployment } from '../fleet/deployment.js';
import { FleetRules } from '../fleet/rules.js';
import { fleetState } from '../fleet/state.js';
import { createRedis } from '../jobs/connection.js';
import { enqueueRulesWalk } from '../jobs/maintenance-jobs.js';
import { openQueue, openWorker, QUEUES } from '../jobs/queues.js';
import { errorSink, type Logger } from '../log.js';
import { ConfigurationAlarm } from '../provider/configuration-alarm.js';
import { createProvider, providerProfile, providerRateLimit } from '../provider/create-provider.js';
import type { GroupProvider } from '../provider/types.js';
import { backoffMs } from '../reconcile/backoff.js';
import { checkCallGuard } from '../reconcile/call-guard.js';
import type { EngineObserver } from '../reconcile/observer.js';
import type { ReconcileDeps } from '../reconcile/reconcile.js';
import { checkEvictionPolicy } from '../redis/eviction.js';
import { AccountStore } from '../store/account-store.js';
import { CallGate } from '../store/call-gate.js';
import { keysFor } from '../store/keys.js';
import { migrateLegacyResync } from '../store/migrate.js';
import { withScripts } from '../store/scripts.js';
import { eventsProcessor } from './events-processor.js';
import { maintenanceProcessor } from './maintenance-processor.js';
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

/** How often a worker looks at the deployment sentinel (a wiped Redis is noticed this fast). */
const SENTINEL_CHECK_MS = 5_000;

/** `folder-sync worker`: the event folder, the reconciler, the maintenance walker, verification. */
export async function startWorkers(
  config: Config,
  log: Logger,
  observer: EngineObserver = {},
): Promise<RunningWorkers> {
  const redis = withScripts(createRedis(config.REDIS_URL, 'worker', errorSink(log, 'redis')));
  const prefix = config.QUEUE_PREFIX;
  const keys = keysFor(prefix);
  await checkEvictionPolicy(redis, { allowEviction: config.REDIS_ALLOW_EVICTION, log });
  await migrateLegacyResync(redis, keys);
  const deployment = new Deployment({
    redis,
    keys,
    log,
    onDataLoss: (reason) => observer.dataLoss?.(reason),
  });
  await deployment.check();
  const sentinelCheck = setInterval(() => {
    deployment
      .check()
      .catch((error: unknown) => log.warn({ err: error }, 'deployment sentinel check failed'));
  }, SENTINEL_CHECK_MS);
  sentinelCheck.unref();

  const reconcileQueue = openQueue(QUEUES.reconcile, redis, prefix, errorSink(log, 'queue reconcile'));
  const maintenanceQueue = openQueue(QUEUES.maintenance, redis, prefix, errorSink(log, 'queue maintenance'));

  const store = new AccountStore(redis, keys);
  const rules = new FleetRules({
    path: config.FOLDER_RULES,
    redis,
    keys,
    store,
    profile: providerProfile(config),
    log,
    maxDeleteShare: config.RULES_MAX_DELETE_SHARE,
    onHeld: (held) => observer.rulesHeld?.(held),
    enqueueWalk: (stored) => enqueueRulesWalk(maintenanceQueue, stored),
  });
  await rules.start();

  const gate = new CallGate(redis, keys, {
    perSecond: providerRateLimit(config),
    pauseBaseMs: config.RATE_LIMIT_BACKOFF_MS,
    pauseMaxMs: config.RATE_LIMIT_BACKOFF_MAX_MS,
    onPause: (ms) => observer.rateLimitPause?.(ms),
  });
  const shutdown = new AbortController();
  // every waiting provider call listens to this signal: many at once are expected, not a leak
  setMaxListeners(0, shutdown.signal);
  let alarm: ConfigurationAlarm | undefined;
  const provider: GroupProvider = createProvider(config, {
    beforeCall: async () => {
      await gate.acquire(shutdown.signal);
      await checkCallGuard();
    },
    onCall: (endpoint, code, seconds) => {
      observer.providerCall?.(endpoint, code, seconds);
      alarm?.observe(endpoint, code, provider.successCode);
    },
    log,
  });
  alarm = new ConfigurationAlarm(provider.configurationCodes, log, (error) =>
    observer.providerMisconfigured?.(error),
  );
  const verifier = new Verifier({
    redis,
    keys,
    reconcile: reconcileQueue,
    log,
    perSecond: providerRateLimit(config),
    share: config.VERIFY_SHARE,
    minIntervalMs: config.VERIFY_MIN_INTERVAL_MS,
  });
  const reconcileDeps: ReconcileDeps = {
    store,
    provider,
    gate,
    rules: (generation) => rules.at(generation),
    epoch: (sentinel) => deployment.epoch(sentinel),
    now: Date.now,
    random: Math.random,
    retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
    log,
    leaseMs: config.LOCK_MS,
    observer,
    chargeVerification: (requests, request) => verifier.charge(requests, request),
    createMissingConversations: config.CREATE_MISSING_CONVERSATIONS,
  };

  // A stalled job (its worker died) is retried, never failed: failing would drop the account's dirty bit.
  const workerOpts = {
    connection: redis,
    prefix,
    maxStalledCount: 1_000,
    lockDuration: config.LOCK_MS,
    stalledInterval: config.LOCK_MS,
    settings: {
      backoffStrategy: (attemptsMade: number) =>
        backoffMs(attemptsMade, config.RETRY_BASE_MS, config.RETRY_MAX_MS, Math.random),
    },
  };
  const common = { redis, keys, reconcile: reconcileQueue, debounceMs: config.DEBOUNCE_MS, log };
  // during a Redis outage every worker reports each failed command: errorSink logs each message once per 30 s
  const eventWorker = openWorker(
    QUEUES.events,
    eventsProcessor({ ...common, observer, foldOptions: () => foldOptions(config) }),
    { ...workerOpts, concurrency: config.EVENT_CONCURRENCY },
    errorSink(log, 'worker events'),
  );
  const reconcileWorker = openWorker(
    QUEUES.reconcile,
    reconcileProcessor({
      reconcileDeps,
      pendingEvents: async (account) => Number((await redis.get(keys.pendingEvents(account))) ?? 0),
      park: (account, record) => store.park(account, record),
      reconcile: reconcileQueue,
      debounceMs: config.DEBOUNCE_MS,
      backlogWaitMs: config.BACKLOG_WAIT_MS,
      log,
      observer,
      signal: shutdown.signal,
    }),
    { ...workerOpts, concurrency: config.WORKER_CONCURRENCY },
    errorSink(log, 'worker reconcile'),
  );
  const maintenanceWorker = openWorker(
    QUEUES.maintenance,
    maintenanceProcessor({ ...common, signal: shutdown.signal }),
    { ...workerOpts, concurrency: 1 },
    errorSink(log, 'worker maintenance'),
  );

  const workers = [eventWorker, reconcileWorker, maintenanceWorker];
  for (const w of workers) {
    w.on('failed', (job, error) => {
      log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed');
      const exhausted = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
      if (w === eventWorker && exhausted) observer.eventsJobFailed?.();
    });
  }
  verifier.start();
  log.info(
    {
      prefix,
      provider: provider.name,
      rules: { generation: rules.current()?.generation, hash: rules.current()?.hash },
      epoch: deployment.current()?.epoch,
      rateLimit: providerRateLimit(config),
    },
    'workers started',
  );

  return {
    workers,
    deployment,
    rules,
    fleetState: async () => {
      const misconfigured = alarm?.state();
      return {
        ...(await fleetState(redis, keys)),
        ...(misconfigured
          ? {
              degraded: [
                `the provider answers ${misconfigured.code} (misconfigured: credentials, SDKAppID or admin account) since ${new Date(misconfigured.since).toISOString()}`,
              ],
            }
          : {}),
      };
    },
    ready: async () =>
      !shutdown.signal.aborted && workers.every((w) => w.isRunning()) && (await redis.ping()) === 'PONG',
    close: async () => {
      clearInterval(sentinelCheck);
      rules.stop();
      // abort first: reconciles stop after the call in flight and its ledger write
      shutdown.abort();
      await verifier.stop();
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([reconcileQueue.close(), maintenanceQueue.close()]);
      await provider.close();
      await redis.quit();
    },
  };
}
