import pino from 'pino';
import { type Config, keysOf } from '../config.js';
import { checkLayout } from '../fleet/deployment.js';
import type { RedisClient } from '../jobs/connection.js';
import { createRedis, redisEndpoint } from '../jobs/connection.js';
import { createLogger, errorSink, type Logger } from '../log.js';
import type { ErrorSink } from '../redis/errors.js';
import type { Keys } from '../store/keys.js';

/** Reconnect attempts before a Redis that does not answer (or refuses the password) fails a command. */
export const COMMAND_REDIS_ATTEMPTS = 5;

/** A one-shot command gives up after a few reconnect attempts instead of waiting forever. */
export const commandRetryStrategy = (attempt: number): number | null =>
  attempt > COMMAND_REDIS_ATTEMPTS ? null : Math.min(attempt * 200, 1000);

/**
 * The logger of a one-shot command (status, plan, resync, rules, demo): stdout is the command's
 * answer, so its warnings — Redis connection errors, redacted and throttled — go to stderr.
 * Synchronous, so nothing is lost when the command exits.
 */
export function commandLogger(config: Config, name: string): Logger {
  return createLogger({ level: config.LOG_LEVEL, name }, pino.destination({ dest: 2, sync: true }));
}

export interface CommandRedis {
  redis: RedisClient;
  /** for the queues the command opens on `redis` */
  onError: ErrorSink;
}

/**
 * A one-shot command's Redis connection: a producer that gives up after a few reconnect
 * attempts (the command then fails with the last error, e.g. "Redis refused authentication")
 * instead of waiting forever; its errors, and its queues', are logged to stderr.
 */
export function commandRedis(config: Config, name: string): CommandRedis {
  const log = commandLogger(config, name);
  const redis = createRedis(redisEndpoint(config), 'producer', errorSink(log, 'redis'), {
    retryStrategy: commandRetryStrategy,
  });
  return { redis, onError: errorSink(log, 'queue') };
}

/**
 * The deployment's keys for a command: refused (LayoutMismatchError, exit 2) when PARTITIONS is
 * not the deployment's, since the command would read and queue in the wrong partitions.
 */
export async function commandKeys(config: Config, redis: RedisClient): Promise<Keys> {
  const keys = keysOf(config);
  await checkLayout(redis, keys);
  return keys;
}
