import { setMaxListeners } from 'node:events';
import type { Job, Worker } from 'bullmq';
import { type Config, foldOptions, keysOf, workerPartitions } from '../config.js';
import { assertLayout, checkLayout, Deployment } from '../fleet/deployment.js';
import { FleetRules } from '../fleet/rules.js';
import { fleetState } from '../fleet/state.js';
import { createRedis, redisEndpoint } from '../jobs/connection.js';
import { enqueueRulesWalk } from '../jobs/maintenance-jobs.js';
import { openPartitioned } from '../jobs/partitioned-queue.js';
import { openQueue, openWorker, QUEUES } from '../jobs/queues.js';
import { errorSink, type Logger } from '../log.js';
import { ConfigurationAlarm } from '../provider/configuration-alarm.js';
import { createProvider, providerProfile, providerRateLimit } from '../provider/create-provider.js';
import type { GroupProvider } from '../provider/types.js';
import { backoffMs } from '../reconcile/backoff.js';
import { checkCallGuard } from '../reconcile/call-guard.js';
import type { EngineObserver, JobRun } from '../reconcile/observer.js';
import type { ReconcileDeps } from '../reconcile/reconcile.js';
import { checkEvictionPolicy } from '../redis/eviction.js';
import { AccountStore } from '../store/account-store.js';
import { CallGate } from '../store/call-gate.js';
import { withScripts } from '../store/scripts.js';
import { takeReconcileLinks } from '../telemetry/reconcile-links.js';
import { eventsProcessor } from './events-processor.js';
import { maintenanceProcessor } from './maintenance-processor.js';
import { limitedBy, ProcessSlots } from './process-slots.js';
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

/** A run that just ended, from the times BullMQ keeps on the job (no Redis read; clocks of two hosts may differ). */
function jobRunOf(job: Job, outcome: JobRun['outcome']): JobRun {
  const started = job.processedOn ?? Date.now();
  const seconds = ((job.finishedOn ?? Date.now()) - started) / 1000;
  return outcome === 'retried'
    ? { outcome, seconds }
    : { outcome, seconds, waitSeconds: Math.max(0, started - job.timestamp) / 1000 };
}

/** How often a worker looks at the deployment sentinel (a wiped Redis is noticed this fast). */
const SENTINEL_CHECK_MS = 5_000;

/** `folder-sync worker`: the event folder, the reconciler, the maintenance walker, verification. */
export async function startWorkers(
  config: Config,
  log: Logger,
  observer: EngineObserver = {},
): Promise<RunningWorkers> {
  const redis = withScripts(createRedis(redisEndpoint(config), 'worker', errorSink(log, 'redis')));
  const prefix = config.QUEUE_PREFIX;
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
  const sentinelCheck = setInterval(() => {
    deployment
      .check()
      .catch((error: unknown) => log.warn({ err: error }, 'deployment sentinel check failed'));
  }, SENTINEL_CHECK_MS);
  sentinelCheck.unref();

  const reconcileQueue = openPartitioned(QUEUES.reconcile, redis, keys, errorSink(log, 'queue reconcile'));
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
    onCall: (endpoint, answer, seconds) => {
      observer.providerCall?.(endpoint, answer, seconds);
      alarm?.observe(endpoint, answer.code, provider.successCode);
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
    maxStalledCount: 1_000,
    lockDuration: config.LOCK_MS,
    stalledInterval: config.LOCK_MS,
    settings: {
      backoffStrategy: (attemptsMade: number) =>
        backoffMs(attemptsMade, config.RETRY_BASE_MS, config.RETRY_MAX_MS, Math.random),
    },
  };
  const common = { redis, keys, reconcile: reconcileQueue, debounceMs: config.DEBOUNCE_MS, log };
  const foldEvents = eventsProcessor({ ...common, observer, foldOptions: () => foldOptions(config) });
  const reconcileOne = reconcileProcessor({
    reconcileDeps,
    pendingEvents: async (account) => Number((await redis.get(keys.pendingEvents(account))) ?? 0),
    park: (account, record) => store.park(account, record),
    traceLinks: (account) => takeReconcileLinks(redis, keys, account),
    reconcile: reconcileQueue,
    debounceMs: config.DEBOUNCE_MS,
    backlogWaitMs: config.BACKLOG_WAIT_MS,
    log,
    observer,
    signal: shutdown.signal,
  });
  // One BullMQ worker per queue and partition taken, each taking up to an even share of the
  // process's concurrency (accounts spread evenly by their hash); the process-wide slots keep the
  // total at WORKER_CONCURRENCY / EVENT_CONCURRENCY when that share rounds up.
  const partitions = workerPartitions(config);
  const share = (total: number) => Math.max(1, Math.ceil(total / partitions.length));
  const foldSlots = new ProcessSlots(config.EVENT_CONCURRENCY);
  const reconcileSlots = new ProcessSlots(config.WORKER_CONCURRENCY);
  // during a Redis outage every worker reports each failed command: errorSink logs each message once per 30 s
  const eventWorkers = partitions.map((p) =>
    openWorker(
      QUEUES.events,
      limitedBy(foldSlots, foldEvents),
      { ...workerOpts, prefix: keys.parts[p]!.prefix, concurrency: share(config.EVENT_CONCURRENCY) },
      errorSink(log, 'worker events'),
    ),
  );
  const reconcileWorkers = partitions.map((p) =>
    openWorker(
      QUEUES.reconcile,
      limitedBy(reconcileSlots, reconcileOne),
      { ...workerOpts, prefix: keys.parts[p]!.prefix, concurrency: share(config.WORKER_CONCURRENCY) },
      errorSink(log, 'worker reconcile'),
    ),
  );
  const maintenanceWorker = openWorker(
    QUEUES.maintenance,
    maintenanceProcessor({ ...common, signal: shutdown.signal }),
    { ...workerOpts, prefix, concurrency: 1 },
    errorSink(log, 'worker maintenance'),
  );

  const workers = [...eventWorkers, ...reconcileWorkers, maintenanceWorker];
  for (const w of workers) {
    w.on('completed', (job) => observer.jobRun?.(w.name, jobRunOf(job, 'completed')));
    w.on('failed', (job, error) => {
      log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed');
      if (!job) return;
      // BullMQ sets finishedOn only when the job moved to the failed list (no attempt left, or unrecoverable)
      const run = jobRunOf(job, job.finishedOn ? 'failed' : 'retried');
      observer.jobRun?.(w.name, run);
      if (w.name === QUEUES.events && run.outcome === 'failed') observer.eventsJobFailed?.();
    });
  }
  verifier.start();
  log.info(
    {
      prefix,
      partitions: { of: keys.partitions, taken: config.WORKER_PARTITIONS },
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
