/**
 * The product's queues and job options as plain data, without importing BullMQ: the lean
 * publisher (src/publisher) writes jobs with them where BullMQ is not installed. BullMQ's own
 * types check them where they are handed to it (src/jobs/queues.ts, the maintenance jobs, and
 * the events jobs in test/publisher/bullmq-jobs.test.ts).
 */

/** The product's queues: names live here and nowhere else. */
export const QUEUES = {
  /** batches of validated domain events, folded into facts (one queue per partition) */
  events: 'events',
  /** one job per account to reconcile, deduplicated while waiting or active (one per partition) */
  reconcile: 'reconcile',
  /** fleet-wide work: re-reconcile every account after a rules change, resync --all (app-wide) */
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOB_NAMES = {
  events: 'events',
  reconcile: 'reconcile',
  rulesChanged: 'rules-changed',
  resyncAll: 'resync-all',
} as const;

/** Events per job: one Lua round trip folds a whole batch. */
export const EVENTS_PER_JOB = 100;

/** How many finished jobs BullMQ keeps (a subset of its KeepJobs). */
export type KeepJobs = boolean | number | { age?: number; count?: number };

/** The BullMQ job options the product sets (a subset of BullMQ's JobsOptions, stored under these names). */
export type JobOptions = {
  attempts?: number;
  backoff?: { type: string; delay?: number };
  removeOnComplete?: KeepJobs;
  removeOnFail?: KeepJobs;
  /** the producer's trace, as BullMQ's telemetry stores `telemetry.metadata` (src/publisher/trace-carrier.ts) */
  tm?: string;
};

/** Bounded history so Redis memory stays flat (BullMQ keeps finished jobs forever by default). */
export const DEFAULT_JOB_OPTIONS = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} satisfies JobOptions;

/**
 * A custom backoff type: each worker's backoffStrategy turns attempts into capped, jittered
 * delays (RETRY_BASE_MS … RETRY_MAX_MS).
 */
export const RETRY_BACKOFF = 'capped-jitter';

/**
 * Events jobs fail only when Redis does (an OOM, a failover): they retry with backoff for about
 * an hour and a half at the default delays, and a job that still fails is kept, never trimmed,
 * for "retry" on the dashboard (and counted in folder_sync_events_jobs_failed_total).
 */
export const EVENTS_JOB_OPTIONS = {
  attempts: 25,
  backoff: { type: RETRY_BACKOFF },
  removeOnFail: false,
} satisfies JobOptions;

/** Fleet-wide walks retry too: a walk that stops halfway would leave accounts on old rules. */
export const MAINTENANCE_JOB_OPTIONS = {
  attempts: 1_000,
  backoff: { type: RETRY_BACKOFF },
} satisfies JobOptions;

/** The events stream feeding QueueEvents/dashboard, capped. */
export const EVENTS_STREAM_MAX_LEN = 10_000;

/**
 * How long an account's count of events on their way to be folded lives without a new event:
 * a count left behind by a failed add holds that account's reconciles for no longer.
 */
export const PENDING_EVENTS_TTL_SECONDS = 300;
