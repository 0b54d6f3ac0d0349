import { type Processor, Queue, type Telemetry, Worker, type WorkerOptions } from 'bullmq';
import type { ErrorSink } from '../redis/errors.js';
import { installedTracing } from '../telemetry/installed.js';
import type { RedisClient } from './connection.js';
import { DEFAULT_JOB_OPTIONS, EVENTS_STREAM_MAX_LEN, type QueueName } from './queue-settings.js';

export type { RedisClient } from './connection.js';
export {
  DEFAULT_JOB_OPTIONS,
  EVENTS_JOB_OPTIONS,
  EVENTS_PER_JOB,
  EVENTS_STREAM_MAX_LEN,
  JOB_NAMES,
  MAINTENANCE_JOB_OPTIONS,
  PENDING_EVENTS_TTL_SECONDS,
  QUEUES,
  type QueueName,
  RETRY_BACKOFF,
} from './queue-settings.js';

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
