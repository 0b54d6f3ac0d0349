import type { AccountLimits, EventLimits } from '../events/limits.js';
import type { DomainEvent } from '../events/schema.js';
import { defaultValidation, type ValidationContext, validateEvent } from '../events/validate.js';
import { storedPartitions } from '../fleet/sentinel.js';
import { redactRedisError } from '../redis/errors.js';
import { DEFAULT_PARTITIONS, type Keys, keysFor } from '../store/keys.js';
import { findOverAccountLimits } from './account-limits.js';
import type { RedisClient } from './connection.js';
import { createRedis } from './connection.js';
import { openPartitioned, type PartitionedQueue } from './partitioned-queue.js';
import {
  EVENTS_JOB_OPTIONS,
  EVENTS_PER_JOB,
  JOB_NAMES,
  PENDING_EVENTS_TTL_SECONDS,
  QUEUES,
} from './queues.js';

/** The data of a job named JOB_NAMES.events in the events queue. */
export interface EventsJobData {
  events: DomainEvent[];
}

export interface PublishResult {
  /** events added to the queue */
  accepted: number;
  /** `index` is the position in the input; `id` is there when the input had a string id */
  refused: Array<{ index: number; id?: string; errors: string[] }>;
}

/**
 * Adds already-validated events to their accounts' partition queues, EVENTS_PER_JOB per job, in
 * one `addBulk` per partition (one round trip each, atomic). Returns the number of jobs added.
 * Callers that hold unvalidated input use `publishMany`.
 */
export async function enqueueEvents(
  queue: PartitionedQueue,
  events: readonly DomainEvent[],
): Promise<number> {
  let added = 0;
  await Promise.all(
    queue
      .group(events, (e) => e.account)
      .map(async ([partition, list]) => {
        await countPendingEvents(queue.keys, queue.connection, partition, list);
        const jobs = [];
        for (let start = 0; start < list.length; start += EVENTS_PER_JOB) {
          const data: EventsJobData = { events: list.slice(start, start + EVENTS_PER_JOB) };
          jobs.push({ name: JOB_NAMES.events, data, opts: EVENTS_JOB_OPTIONS });
        }
        await partition.addBulk(jobs);
        added += jobs.length;
      }),
  );
  return added;
}

/**
 * Counts each account's events on their way to be folded: a reconcile of the account waits
 * while its count is above zero (at most BACKLOG_WAIT_MS), so it never acts on half a burst.
 * Counted before the jobs are added, so a fold never finds nothing to count down; a count a
 * failed add leaves behind expires. Every account here is of the queue's partition.
 */
async function countPendingEvents(
  keys: Keys,
  redis: RedisClient,
  queue: { waitUntilReady(): Promise<unknown> },
  events: readonly DomainEvent[],
): Promise<void> {
  const perAccount = new Map<string, number>();
  for (const e of events) perAccount.set(e.account, (perAccount.get(e.account) ?? 0) + 1);
  // as addBulk does: a Redis that cannot be reached fails with its connection error
  await queue.waitUntilReady();
  const multi = redis.multi();
  for (const [account, n] of perAccount) {
    multi
      .incrby(keys.pendingEvents(account), n)
      .expire(keys.pendingEvents(account), PENDING_EVENTS_TTL_SECONDS);
  }
  await multi.exec();
}

/**
 * Queues validated events (`index`: their place in the caller's input), except those that would
 * take their account over a limit, which come back with the reason.
 */
export async function queueValidated(
  queue: PartitionedQueue,
  valid: ReadonlyArray<{ index: number; event: DomainEvent }>,
  accountLimits: AccountLimits | undefined,
): Promise<{ accepted: number; jobs: number; overLimit: Array<{ index: number; reason: string }> }> {
  const over = accountLimits
    ? await findOverAccountLimits(
        queue.connection,
        queue.keys,
        valid.map((v) => v.event),
        accountLimits,
      )
    : new Map<number, string>();
  const accepted = valid.filter((_, i) => !over.has(i)).map((v) => v.event);
  const jobs = await enqueueEvents(queue, accepted);
  return {
    accepted: accepted.length,
    jobs,
    overLimit: [...over].map(([i, reason]) => ({ index: valid[i]!.index, reason })),
  };
}

/** What publishing checks besides the contract; the defaults when omitted. */
export interface PublishOptions {
  /** the clock and limits to validate against (default: now, 24 h ahead, the default limits) */
  validation?: ValidationContext;
  /** refuse events that would take their account over these (default: not checked here) */
  accountLimits?: AccountLimits;
}

/**
 * Validates each event against the public contract (and the account limits, when given) and
 * adds the valid ones to their partitions' events queues. Refused events never affect accepted
 * ones; nothing is added when none is valid. Rejects only when Redis does: then the events of
 * some partitions may have been added and others not, and publishing them all again is safe
 * (workers deduplicate by id).
 */
export async function publishMany(
  queue: PartitionedQueue | (() => Promise<PartitionedQueue>),
  events: readonly unknown[],
  opts: PublishOptions = {},
): Promise<PublishResult> {
  const validation = opts.validation ?? defaultValidation();
  const valid: Array<{ index: number; event: DomainEvent }> = [];
  const refused: PublishResult['refused'] = [];
  const refuse = (index: number, errors: string[]) => {
    const id = stringId(events[index]);
    refused.push(id === undefined ? { index, errors } : { index, id, errors });
  };
  events.forEach((input, index) => {
    const result = validateEvent(input, validation);
    if (result.ok) valid.push({ index, event: result.event });
    else refuse(index, result.errors);
  });
  // input with nothing valid in it never needs Redis
  if (valid.length === 0) return { accepted: 0, refused };
  const target = typeof queue === 'function' ? await queue() : queue;
  const { accepted, overLimit } = await queueValidated(target, valid, opts.accountLimits);
  for (const { index, reason } of overLimit) refuse(index, [reason]);
  return { accepted, refused: refused.sort((a, b) => a.index - b.index) };
}

/** `publishMany` of one event. */
export function publish(
  queue: PartitionedQueue | (() => Promise<PartitionedQueue>),
  event: unknown,
  opts?: PublishOptions,
): Promise<PublishResult> {
  return publishMany(queue, [event], opts);
}

function stringId(input: unknown): string | undefined {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    const id = Object.hasOwn(input, 'id') ? (input as { id: unknown }).id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export interface PublisherOptions {
  /** REDIS_URL (with a Cluster: its credentials and scheme; the nodes are `clusterNodes`) */
  redisUrl: string;
  /** REDIS_CLUSTER_NODES, as `host:port` strings: connect to a Redis Cluster */
  clusterNodes?: readonly string[];
  /** QUEUE_PREFIX */
  prefix: string;
  /**
   * The deployment's partition count is read from Redis (the workers write it at their first
   * start); this is used only while none is written yet (default 16, PARTITIONS' default).
   */
  partitions?: number;
  /**
   * Connection problems reported while the publisher is open (reconnects, a refused password,
   * …). Failed publishes also reject, so the default ignores them. These errors, like the
   * rejections, come with the arguments of their Redis command censored (a refused HELLO/AUTH
   * holds the password), so they are safe to log.
   */
  onError?: (error: Error) => void;
  /**
   * How long one publish may wait for Redis before it rejects with PublishTimeoutError
   * (default 10 s). Without it a publish made while Redis has never been reachable would
   * wait for the first connection, however long that takes.
   */
  timeoutMs?: number;
  /** how far ahead of this machine's clock an `at` may be (default 24 h, as the workers) */
  maxFutureMs?: number;
  /** the limits on user folders (default: the workers' defaults) */
  limits?: EventLimits;
  /** refuse, with the reason, events that would take their account over these (the fold does anyway) */
  accountLimits?: AccountLimits;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;

/**
 * Redis did not confirm in time. The events may still be added later (the command can be
 * queued on the connection): publishing them again is safe, because workers deduplicate by id.
 */
export class PublishTimeoutError extends Error {
  override readonly name = 'PublishTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(
      `Redis did not confirm the publish within ${timeoutMs} ms; the events may or may not have been added (publishing them again is safe: events are deduplicated by id)`,
    );
  }
}

/** `work`, or a PublishTimeoutError after `ms`; a late rejection of `work` is absorbed. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PublishTimeoutError(ms)), ms);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Publisher {
  publish(event: unknown): Promise<PublishResult>;
  publishMany(events: readonly unknown[]): Promise<PublishResult>;
  /** Closes the queue and the Redis connection; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * A publisher for apps: owns a producer connection (fails fast rather than queueing forever)
 * and the events queue.
 *
 * ```ts
 * const publisher = createPublisher({ redisUrl: 'redis://127.0.0.1:6379', prefix: '{folder-sync}' });
 * const { refused } = await publisher.publish({ id: 'e-1', type: 'conversation.pinned', account: 'alice',
 *   at: Date.now(), conversation: { type: 2, target: 'team-42' } });
 * await publisher.close();
 * ```
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const callerOnError = options.onError ?? (() => {});
  // The caller's handler may well log what it gets: never hand it a password (HELLO/AUTH args).
  // The connection reports from the start (the first command reads the partition count, before
  // any queue exists); a queue passes its connection's errors on too: each is reported once.
  const reported = new WeakSet<Error>();
  const onError = (error: Error) => {
    if (reported.has(error)) return;
    reported.add(error);
    callerOnError(redactRedisError(error));
  };
  const connection = createRedis(
    { url: options.redisUrl, clusterNodes: options.clusterNodes ?? [] },
    'producer',
    onError,
  );
  // By partition count: the deployment's once the sentinel holds it (then it never changes);
  // until a worker has written it, the option's, asked again on every publish.
  const opened = new Map<number, PartitionedQueue>();
  let fixed: number | undefined;
  const queue = async () => {
    fixed ??= await storedPartitions(connection, keysFor(options.prefix, 1));
    const partitions = fixed ?? options.partitions ?? DEFAULT_PARTITIONS;
    let q = opened.get(partitions);
    if (!q) {
      q = openPartitioned(QUEUES.events, connection, keysFor(options.prefix, partitions), onError);
      opened.set(partitions, q);
    }
    return q;
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  let closing: Promise<void> | undefined;
  const many = (events: readonly unknown[]) => {
    if (closing) return Promise.reject(new Error('the publisher is closed'));
    const validation = {
      ...defaultValidation(),
      ...(options.maxFutureMs === undefined ? {} : { maxFutureMs: options.maxFutureMs }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    };
    const opts = options.accountLimits
      ? { validation, accountLimits: options.accountLimits }
      : { validation };
    return withTimeout(publishMany(queue, events, opts), timeoutMs).catch((error: unknown) => {
      throw redactRedisError(error);
    });
  };
  return {
    publish: (event) => many([event]),
    publishMany: many,
    close: () => {
      closing ??= (async () => {
        try {
          await Promise.all([...opened.values()].map((q) => q.close()));
        } finally {
          // The queue does not close a connection it was given.
          if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
          else connection.disconnect();
        }
      })();
      return closing;
    },
  };
}
