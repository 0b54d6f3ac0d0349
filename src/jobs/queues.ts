import {
  type DefaultJobOptions,
  type JobsOptions,
  type Processor,
  Queue,
  type Telemetry,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { ErrorSink } from '../log.js';
import type { Keys } from '../store/keys.js';
import { installedTracing } from '../telemetry/installed.js';
import type { RedisClient } from './connection.js';
import { openPartitioned } from './partitioned-queue.js';

export type { RedisClient } from './connection.js';

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

/** Bounded history so Redis memory stays flat (BullMQ keeps finished jobs forever by default). */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

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
export const EVENTS_JOB_OPTIONS: JobsOptions = {
  attempts: 25,
  backoff: { type: RETRY_BACKOFF },
  removeOnFail: false,
};

/** Fleet-wide walks retry too: a walk that stops halfway would leave accounts on old rules. */
export const MAINTENANCE_JOB_OPTIONS: JobsOptions = {
  attempts: 1_000,
  backoff: { type: RETRY_BACKOFF },
};

/** The events stream feeding QueueEvents/dashboard, capped. */
export const EVENTS_STREAM_MAX_LEN = 10_000;

/** BullMQ's telemetry while tracing runs: it carries a trace from a job's producer to its worker. */
function telemetryOption(): { telemetry?: Telemetry } {
  const tracing = installedTracing();
  return tracing ? { telemetry: tracing.bullmq } : {};
}

/**
 * A product queue with the bounded defaults; `prefix` is QUEUE_PREFIX. BullMQ writes a queue's
 * errors to stderr with console.error, raw, when the queue has no 'error' listener: `onError`
 * is that listener (it also receives the errors of the connection the queue shares).
 */
export function openQueue(
  name: QueueName,
  connection: RedisClient,
  prefix: string,
  onError: ErrorSink,
): Queue {
  const queue = new Queue(name, {
    connection,
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
    streams: { events: { maxLen: EVENTS_STREAM_MAX_LEN } },
    ...telemetryOption(),
  });
  queue.on('error', onError);
  return queue;
}

/** A product worker, its errors (its own, its blocking connection's) going to `onError` as for openQueue. */
export function openWorker<Data, Result>(
  name: QueueName,
  processor: Processor<Data, Result>,
  options: WorkerOptions & { connection: RedisClient; prefix: string },
  onError: ErrorSink,
): Worker<Data, Result> {
  const worker = new Worker<Data, Result>(name, processor, { ...options, ...telemetryOption() });
  worker.on('error', onError);
  return worker;
}

/**
 * How long an account's count of events on their way to be folded lives without a new event:
 * a count left behind by a failed add holds that account's reconciles for no longer.
 */
export const PENDING_EVENTS_TTL_SECONDS = 300;

/** Every queue of the product, for the dashboard and the queue-depth metrics. */
export function openAllQueues(connection: RedisClient, keys: Keys, onError: ErrorSink) {
  return {
    events: openPartitioned(QUEUES.events, connection, keys, onError),
    reconcile: openPartitioned(QUEUES.reconcile, connection, keys, onError),
    maintenance: openQueue(QUEUES.maintenance, connection, keys.prefix, onError),
  };
}
export type AllQueues = ReturnType<typeof openAllQueues>;

/** The BullMQ queues behind AllQueues, each partition's apart. */
export const flatQueues = (all: AllQueues): Queue[] => [
  ...all.events.queues,
  ...all.reconcile.queues,
  all.maintenance,
];

export async function closeAllQueues(all: AllQueues): Promise<void> {
  await Promise.all([all.events.close(), all.reconcile.close(), all.maintenance.close()]);
}
