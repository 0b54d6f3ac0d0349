import type { AccountLimits, EventLimits } from '../events/limits.js';
import { defaultValidation } from '../events/validate.js';
import { storedPartitions } from '../fleet/sentinel.js';
import { createRedis } from '../jobs/connection.js';
import { type EventsTarget, type PublishResult, publishMany } from '../jobs/publish.js';
import { redactRedisError } from '../redis/errors.js';
import { DEFAULT_PARTITIONS, type Keys, keysFor } from '../store/keys.js';

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
  /** Closes the Redis connection; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * A publisher for apps: owns a producer connection (fails fast rather than queueing forever)
 * and adds the events to their partitions' events queues as BullMQ jobs, without BullMQ.
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
  const connection = createRedis(
    { url: options.redisUrl, clusterNodes: options.clusterNodes ?? [] },
    'producer',
    (error) => callerOnError(redactRedisError(error)),
  );
  // The deployment's partition count once the sentinel holds it (then it never changes); until
  // a worker has written it, the option's, asked again on every publish.
  const keysByCount = new Map<number, Keys>();
  let fixed: number | undefined;
  const target = async (): Promise<EventsTarget> => {
    fixed ??= await storedPartitions(connection, keysFor(options.prefix, 1));
    const partitions = fixed ?? options.partitions ?? DEFAULT_PARTITIONS;
    let keys = keysByCount.get(partitions);
    if (!keys) {
      keys = keysFor(options.prefix, partitions);
      keysByCount.set(partitions, keys);
    }
    return { keys, connection };
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
    return withTimeout(publishMany(target, events, opts), timeoutMs).catch((error: unknown) => {
      throw redactRedisError(error);
    });
  };
  return {
    publish: (event) => many([event]),
    publishMany: many,
    close: () => {
      closing ??= (async () => {
        if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
        else connection.disconnect();
      })();
      return closing;
    },
  };
}
