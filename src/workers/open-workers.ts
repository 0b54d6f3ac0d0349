import type { Job, Worker } from 'bullmq';
import { type Config, workerPartitions } from '../config.js';
import { livenessTiming } from '../fleet/liveness.js';
import type { RedisClient } from '../jobs/connection.js';
import { openWorker, QUEUES } from '../jobs/queues.js';
import { errorSink, type Logger } from '../log.js';
import { backoffMs } from '../reconcile/backoff.js';
import type { Keys } from '../store/keys.js';
import type { JobRun, WorkerObserver } from './observer.js';
import { limitedBy, ProcessSlots } from './process-slots.js';

type Processor = (job: Job, token?: string) => Promise<unknown>;

/**
 * One BullMQ worker per queue and partition taken, each taking up to an even share of the
 * process's concurrency (accounts spread evenly by their hash); the process-wide slots keep the
 * total at WORKER_CONCURRENCY / EVENT_CONCURRENCY when that share rounds up.
 */
export function openEngineWorkers(
  config: Config,
  deps: { redis: RedisClient; keys: Keys; log: Logger },
  processors: { events: Processor; reconcile: Processor; maintenance: Processor },
): Worker[] {
  const { keys, log } = deps;
  const timing = livenessTiming(config.LOCK_MS);
  // A stalled job (its worker died) is retried, never failed: failing would drop the account's
  // dirty bit. The lock outlives a heartbeat: a dead worker's reconciles are freed by takeover
  // (src/fleet/takeover.ts), the lock's expiry is the backstop for jobs held without a lease.
  const common = {
    connection: deps.redis,
    maxStalledCount: 1_000,
    lockDuration: timing.jobLockMs,
    stalledInterval: timing.stalledCheckMs,
    settings: {
      backoffStrategy: (attemptsMade: number) =>
        backoffMs(attemptsMade, config.RETRY_BASE_MS, config.RETRY_MAX_MS, Math.random),
    },
  };
  const partitions = workerPartitions(config);
  const share = (total: number) => Math.max(1, Math.ceil(total / partitions.length));
  const foldSlots = new ProcessSlots(config.EVENT_CONCURRENCY);
  const reconcileSlots = new ProcessSlots(config.WORKER_CONCURRENCY);
  // during a Redis outage every worker reports each failed command: errorSink logs each message once per 30 s
  const perPartition = (
    queue: typeof QUEUES.events | typeof QUEUES.reconcile,
    run: Processor,
    total: number,
  ) =>
    partitions.map((p) =>
      openWorker(
        queue,
        run,
        { ...common, prefix: keys.parts[p]!.prefix, concurrency: share(total) },
        errorSink(log, `worker ${queue}`),
      ),
    );
  return [
    ...perPartition(QUEUES.events, limitedBy(foldSlots, processors.events), config.EVENT_CONCURRENCY),
    ...perPartition(
      QUEUES.reconcile,
      limitedBy(reconcileSlots, processors.reconcile),
      config.WORKER_CONCURRENCY,
    ),
    openWorker(
      QUEUES.maintenance,
      processors.maintenance,
      { ...common, prefix: keys.prefix, concurrency: 1 },
      errorSink(log, 'worker maintenance'),
    ),
  ];
}

/** A run that just ended, from the times BullMQ keeps on the job (no Redis read; clocks of two hosts may differ). */
function jobRunOf(job: Job, outcome: JobRun['outcome']): JobRun {
  const started = job.processedOn ?? Date.now();
  const seconds = ((job.finishedOn ?? Date.now()) - started) / 1000;
  return outcome === 'retried'
    ? { outcome, seconds }
    : { outcome, seconds, waitSeconds: Math.max(0, started - job.timestamp) / 1000 };
}

/** Tells the observer (metrics) how each job run ended, and logs failures. */
export function watchJobRuns(workers: readonly Worker[], observer: WorkerObserver, log: Logger): void {
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
}
