import { Redis, type RedisOptions } from 'ioredis';
import type { ErrorSink } from '../log.js';

/**
 * Redis connections by role. Workers and blocking readers need `maxRetriesPerRequest: null`
 * (BullMQ requirement); producers on a request path fail fast instead of queueing forever.
 * Never ioredis `keyPrefix`: BullMQ's `prefix` is the only prefix (bullmq-notes §1.2).
 *
 * `onError` is attached before the connection can fail: a connection without an 'error'
 * listener makes ioredis print raw errors to stderr (the product's sinks log them redacted and
 * throttled; see `errorSink` in src/log.ts).
 */
export function createRedis(
  url: string,
  role: 'worker' | 'producer',
  onError: ErrorSink,
  extra: RedisOptions = {},
): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...extra };
  const redis = new Redis(url, options);
  redis.on('error', onError);
  return redis;
}
