import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { ErrorSink } from '../redis/errors.js';

/** A single Redis or a Redis Cluster: the product runs on either, with the same key layout. */
export type RedisClient = Redis | Cluster;

/**
 * Where Redis is: REDIS_URL, or a Cluster reached through the `host:port` seed nodes of
 * REDIS_CLUSTER_NODES (the URL then gives only the scheme, user and password).
 */
export interface RedisEndpoint {
  url: string;
  clusterNodes: readonly string[];
}

/** The endpoint a configuration names. */
export const redisEndpoint = (config: {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES: readonly string[];
}): RedisEndpoint => ({
  url: config.REDIS_URL,
  clusterNodes: config.REDIS_CLUSTER_NODES,
});

type Role = 'worker' | 'producer';

/**
 * Redis connections by role. Workers and blocking readers need `maxRetriesPerRequest: null`
 * (BullMQ requirement); producers on a request path fail fast instead of queueing forever.
 * Never ioredis `keyPrefix`: BullMQ's `prefix` is the only prefix (bullmq-notes §1.2).
 *
 * `onError` is attached before the connection can fail: a connection without an 'error'
 * listener makes ioredis print raw errors to stderr (the product's sinks log them redacted and
 * throttled; see `errorSink` in src/log.ts).
 */
export function createRedis(url: string, role: Role, onError: ErrorSink, extra?: RedisOptions): Redis;
export function createRedis(
  endpoint: string | RedisEndpoint,
  role: Role,
  onError: ErrorSink,
  extra?: RedisOptions,
): RedisClient;
export function createRedis(
  endpoint: string | RedisEndpoint,
  role: Role,
  onError: ErrorSink,
  extra: RedisOptions = {},
): RedisClient {
  const { url, clusterNodes } = typeof endpoint === 'string' ? { url: endpoint, clusterNodes: [] } : endpoint;
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...extra };
  const redis = clusterNodes.length ? openCluster(url, clusterNodes, options) : new Redis(url, options);
  redis.on('error', onError);
  return redis;
}

function openCluster(url: string, nodes: readonly string[], options: RedisOptions): Cluster {
  const parsed = new URL(url);
  const redisOptions: RedisOptions = {
    ...options,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const clusterOptions: ClusterOptions = {
    redisOptions,
    // BullMQ's blocking commands and the product's scripts go to masters only
    scaleReads: 'master',
    ...(options.maxRetriesPerRequest === null ? {} : { maxRedirections: 16 }),
    enableOfflineQueue: options.enableOfflineQueue ?? true,
  };
  return new Cluster(
    nodes.map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
    clusterOptions,
  );
}

/** The connections behind a client: the client itself, or each master of a Cluster. */
export function nodesOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
