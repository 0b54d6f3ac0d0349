import { setMaxListeners } from 'node:events';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Config } from '../config.js';
import type { DomainEvent } from '../events/schema.js';
import { createRedis } from '../jobs/connection.js';
import { JOB_NAMES, openQueue, QUEUES } from '../jobs/queues.js';
import { enqueueReconcile, type ReconcileJobData } from '../jobs/reconcile-jobs.js';
import { type Logger, logErrors } from '../log.js';
import { createProvider, providerRateLimit } from '../provider/create-provider.js';
import type { GroupProvider } from '../provider/types.js';
import { AccountStore, LeaseLostError } from '../store/account-store.js';
import { CallGate } from '../store/call-gate.js';
import { keysFor } from '../store/keys.js';
import { withScripts } from '../store/scripts.js';
import { backoffMs } from './backoff.js';
import { checkCallGuard } from './call-guard.js';
import { foldEvents } from './fold-events.js';
import { reconcileEveryAccount } from './maintenance.js';
import type { EngineObserver } from './observer.js';
import { reconcileAccount } from './reconcile.js';
import { watchRules } from './rules-watch.js';

export interface RunningWorkers {
  /**
   * Stops taking jobs; a reconcile in flight finishes its current call and ledger write, then
   * stops (its job is retried later, from the ledger); closes connections.
   */
  close(): Promise<void>;
  /** every worker is running and Redis answers */
  ready(): Promise<boolean>;
  workers: Worker[];
}

/** `folder-sync worker`: the event folder, the reconciler and the maintenance walker. */
export async function startWorkers(
  config: Config,
  log: Logger,
  observer: EngineObserver = {},
): Promise<RunningWorkers> {
  const redis = withScripts(createRedis(config.REDIS_URL, 'worker'));
  logErrors(redis, log, 'redis');
  const prefix = config.QUEUE_PREFIX;
  const keys = keysFor(prefix);
  await warnUnlessNoEviction(redis, log);
  const reconcileQueue = openQueue(QUEUES.reconcile, redis, prefix);
  const eventsQueue = openQueue(QUEUES.events, redis, prefix);
  const maintenanceQueue = openQueue(QUEUES.maintenance, redis, prefix);
  for (const q of [reconcileQueue, maintenanceQueue]) logErrors(q, log, `queue ${q.name}`);
  const rules = await watchRules({
    path: config.FOLDER_RULES,
    redis,
    keys,
    maintenance: maintenanceQueue,
    log,
  });

  const gate = new CallGate(redis, keys, {
    perSecond: providerRateLimit(config),
    pauseBaseMs: config.RATE_LIMIT_BACKOFF_MS,
    pauseMaxMs: config.RATE_LIMIT_BACKOFF_MAX_MS,
    onPause: (ms) => observer.rateLimitPause?.(ms),
  });
  const shutdown = new AbortController();
  // every waiting provider call listens to this signal: many at once are expected, not a leak
  setMaxListeners(0, shutdown.signal);
  const provider: GroupProvider = createProvider(config, {
    beforeCall: async () => {
      await gate.acquire(shutdown.signal);
      await checkCallGuard();
    },
    onCall: (endpoint, code, seconds) => observer.providerCall?.(endpoint, code, seconds),
    log,
  });
  const store = new AccountStore(redis, keys);
  // A stalled job (its worker died) is retried, never failed: failing would drop the account's dirty bit.
  const workerOpts = {
    connection: redis,
    prefix,
    maxStalledCount: 1_000,
    lockDuration: config.LOCK_MS,
    stalledInterval: config.LOCK_MS,
  };

  const eventWorker = new Worker<{ events: DomainEvent[] }>(
    QUEUES.events,
    async (job) => {
      const folded = await foldEvents(redis, keys, job.data.events);
      if (folded.invalid)
        log.warn({ jobId: job.id, invalid: folded.invalid }, 'skipped malformed events in an events job');
      observer.eventsFolded?.({
        events: job.data.events.length,
        changed: folded.changed,
        duplicates: folded.duplicates,
        stale: folded.stale,
      });
      await enqueueReconcile(reconcileQueue, folded.dirty, config.DEBOUNCE_MS, 'events');
      return {
        events: job.data.events.length,
        changed: folded.changed,
        duplicates: folded.duplicates,
        stale: folded.stale,
      };
    },
    { ...workerOpts, concurrency: config.EVENT_CONCURRENCY },
  );

  const reconcileWorker = new Worker<ReconcileJobData>(
    QUEUES.reconcile,
    async (job: Job<ReconcileJobData>, token?: string) => {
      const { account } = job.data;
      // Events still waiting to be folded may be this account's: reconciling now would act on
      // a partial state and pay again for what the rest undoes. Wait for the backlog to drain,
      // for at most BACKLOG_WAIT_MS, so coalescing holds for bursts longer than the debounce.
      const waitingSince = job.data.waitingSince ?? Date.now();
      if (Date.now() - waitingSince < config.BACKLOG_WAIT_MS && (await eventsQueue.getWaitingCount()) > 0) {
        await job.updateData({ ...job.data, waitingSince });
        await job.moveToDelayed(Date.now() + Math.max(50, config.DEBOUNCE_MS), token);
        throw new DelayedError();
      }
      observer.reconcileStarted?.(account);
      const started = Date.now();
      const outcome = await reconcileAccount(
        account,
        {
          store,
          provider,
          gate,
          appFolders: () => rules.current().folders,
          now: Date.now,
          random: Math.random,
          retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
          log,
          leaseMs: config.LOCK_MS,
          observer,
        },
        shutdown.signal,
      ).catch(async (error: unknown) => {
        observer.reconciled?.(account, {
          outcome: 'error',
          seconds: (Date.now() - started) / 1000,
          calls: 0,
        });
        // This job may no longer be ours to retry (its lock went with the lease): queue a
        // reconcile so the read-back asked for above happens whoever runs it.
        if (error instanceof LeaseLostError) {
          await enqueueReconcile(reconcileQueue, [account], config.DEBOUNCE_MS, 'retry').catch(() => {});
        }
        throw error;
      });
      if (outcome.status === 'busy') {
        observer.reconciled?.(account, { outcome: 'busy', seconds: 0, calls: 0 });
        // Another process holds the account (a stalled duplicate run): look again shortly.
        await job.moveToDelayed(Date.now() + 250 + Math.floor(Math.random() * 250), token);
        throw new DelayedError();
      }
      if (outcome.requeueAfterMs !== undefined) {
        await enqueueReconcile(reconcileQueue, [account], outcome.requeueAfterMs, 'retry');
      }
      const { startedAt, finishedAt, calls } = outcome;
      log.debug({ account, startedAt, finishedAt, calls }, 'reconciled');
      observer.reconciled?.(account, { outcome: 'done', seconds: (finishedAt - startedAt) / 1000, calls });
      return { calls: outcome.calls, overflow: outcome.overflow.length };
    },
    {
      ...workerOpts,
      concurrency: config.WORKER_CONCURRENCY,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          backoffMs(attemptsMade, config.RETRY_BASE_MS, config.RETRY_MAX_MS, Math.random),
      },
    },
  );

  const maintenanceWorker = new Worker(
    QUEUES.maintenance,
    async (job) => {
      const resync = job.name === JOB_NAMES.resyncAll;
      const accounts = await reconcileEveryAccount(redis, keys, reconcileQueue, {
        resync,
        delayMs: config.DEBOUNCE_MS,
        signal: shutdown.signal,
      });
      log.info({ job: job.name, accounts }, 'queued a reconcile for every known account');
      return { accounts };
    },
    { ...workerOpts, concurrency: 1 },
  );

  const workers = [eventWorker, reconcileWorker, maintenanceWorker];
  for (const w of workers) {
    // during a Redis outage every worker reports each failed command: once per message per 30 s
    logErrors(w, log, `worker ${w.name}`);
    w.on('failed', (job, error) =>
      log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
    );
  }
  log.info(
    { prefix, provider: provider.name, rules: rules.hash(), rateLimit: providerRateLimit(config) },
    'workers started',
  );

  return {
    workers,
    ready: async () =>
      !shutdown.signal.aborted && workers.every((w) => w.isRunning()) && (await redis.ping()) === 'PONG',
    close: async () => {
      rules.stop();
      // abort first: reconciles stop after the call in flight and its ledger write
      shutdown.abort();
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([reconcileQueue.close(), maintenanceQueue.close(), eventsQueue.close()]);
      await provider.close();
      await redis.quit();
    },
  };
}

/** BullMQ loses jobs and locks under eviction: say so loudly (managed Redis may hide CONFIG). */
async function warnUnlessNoEviction(redis: { config(...args: string[]): Promise<unknown> }, log: Logger) {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      log.warn(
        { policy },
        'Redis maxmemory-policy should be "noeviction": evicted keys lose jobs, locks and facts',
      );
    }
  } catch {
    // CONFIG may be disabled on managed Redis
  }
}
