import type { TestProject } from 'vitest/node';
import { RedisCluster } from '../../scripts/redis-cluster.js';
import { findRedis } from '../../src/redis/discover.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisError: string;
    /** REDIS_CLUSTER_NODES of a 3-master cluster started for this run ('' when it could not start) */
    redisClusterNodes: string;
    redisClusterError: string;
  }
}

/**
 * Finds Redis once per run, and starts a real 3-master Redis Cluster on loopback ports beside
 * it; tests that need either call redisUrl() / clusterNodes() and fail with one clear message.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const redis = await findRedis();
    project.provide('redisUrl', redis.url);
    project.provide('redisError', '');
    stops.push(redis.stop);
  } catch (error) {
    project.provide('redisUrl', '');
    project.provide('redisError', (error as Error).message);
  }
  try {
    const cluster = await RedisCluster.start();
    project.provide('redisClusterNodes', cluster.nodes);
    project.provide('redisClusterError', '');
    stops.push(() => cluster.stop());
  } catch (error) {
    project.provide('redisClusterNodes', '');
    project.provide(
      'redisClusterError',
      `could not start a Redis Cluster (needs redis-server and redis-cli on PATH): ${(error as Error).message}`,
    );
  }
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
