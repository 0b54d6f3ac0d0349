import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections by role. Workers and blocking readers need `maxRetriesPerRequest: null`
 * (BullMQ requirement); producers on a request path fail fast instead of queueing forever.
 * Never ioredis `keyPrefix`: BullMQ's `prefix` is the only prefix (bullmq-notes §1.2).
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...extra };
  return new Redis(url, options);
}
