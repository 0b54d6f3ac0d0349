/**
 * Adds BullMQ jobs without BullMQ, as `Queue.addBulk` adds them: BullMQ's own addStandardJob
 * Lua script (vendored: ./bullmq-add-standard-job.ts) with the same keys and the same
 * msgpack-packed arguments, so BullMQ's workers cannot tell the jobs apart
 * (test/publisher/bullmq-jobs.test.ts compares them with BullMQ's, byte for byte).
 *
 * Only what the product's jobs use is supported: no custom id, delay, priority, parent or
 * deduplication (each takes another of BullMQ's scripts or arguments).
 */
import type { Buffer } from 'node:buffer';
import type { ChainableCommander, Result } from 'ioredis';
import type { RedisClient } from '../jobs/connection.js';
import type { JobOptions } from '../jobs/queue-settings.js';
import { ADD_STANDARD_JOB, BULLMQ_VERSION } from './bullmq-add-standard-job.js';
import { packMsgpack } from './msgpack.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    fsBullmqAddStandardJob(...keysThenArgs: Array<string | Buffer>): Result<string, Context>;
  }
}

/** A plain string: with the command's typed name, `in` below would narrow a connection to never. */
const COMMAND: string = 'fsBullmqAddStandardJob';

/** A BullMQ queue as `new Queue(name, { prefix, defaultJobOptions, streams })` opens it. */
export interface QueueSpec {
  prefix: string;
  name: string;
  defaultJobOptions: JobOptions;
  /** `streams.events.maxLen` */
  eventsMaxLen: number;
}

/** Registers the script on a connection (once); transactions made after it can add jobs. */
export function withAddStandardJob<R extends RedisClient>(redis: R): R {
  if (!(COMMAND in redis)) {
    redis.defineCommand(COMMAND, { numberOfKeys: ADD_STANDARD_JOB.numberOfKeys, lua: ADD_STANDARD_JOB.lua });
  }
  return redis;
}

/**
 * Queues on `tx` (a transaction of a connection `withAddStandardJob` prepared) what BullMQ
 * sends for `queue.addBulk(jobs)` with `opts` on each job, after what a Queue writes when it
 * opens: its meta (the events stream's length, the library version).
 */
export function addStandardJobs(
  tx: ChainableCommander,
  queue: QueueSpec,
  jobs: ReadonlyArray<{ name: string; data: unknown }>,
  opts: JobOptions,
): void {
  tx.hset(
    queueKey(queue, 'meta'),
    'opts.maxLenEvents',
    queue.eventsMaxLen,
    'version',
    `bullmq:${BULLMQ_VERSION}`,
  );
  for (const job of jobs) tx.fsBullmqAddStandardJob(...addStandardJobArgs(queue, job, opts, Date.now()));
}

const queueKey = (queue: QueueSpec, type: string) => `${queue.prefix}:${queue.name}:${type}`;

/** The KEYS then ARGV that BullMQ's `RedisQueueBackend.addStandardJobArgs` makes for the job. */
export function addStandardJobArgs(
  queue: QueueSpec,
  job: { name: string; data: unknown },
  opts: JobOptions,
  timestamp: number,
): Array<string | Buffer> {
  const keys = ['wait', 'paused', 'meta', 'id', 'completed', 'delayed', 'active', 'events', 'marker'];
  // key prefix, custom id, name, timestamp, parent key, parent dependencies key, parent,
  // repeat job key, deduplication key, defer parent release
  const args = [queueKey(queue, ''), '', job.name, timestamp, null, null, null, null, null, null];
  return [
    ...keys.map((type) => queueKey(queue, type)),
    packMsgpack(args),
    JSON.stringify(job.data),
    packMsgpack(storedOptions(queue.defaultJobOptions, opts)),
  ];
}

/**
 * The options a job stores: Queue.addBulk lays the job's over the queue's defaults, Job's
 * constructor puts `attempts: 0` first, and BullMQ leaves undefined ones out. None of ours is
 * one BullMQ renames when it stores it (`deduplication` → `de`, …).
 */
function storedOptions(defaults: JobOptions, opts: JobOptions): JobOptions {
  const merged: JobOptions = { attempts: 0, ...defaults, ...opts };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}
