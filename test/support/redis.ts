import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { RedisEndpoint } from '../../src/jobs/connection.js';
import { deleteKeysWithPrefix } from '../../src/redis/delete-prefix.js';

export function redisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(inject('redisError'));
  return url;
}

/** REDIS_CLUSTER_NODES of the run's 3-master cluster (test/support/global-setup.ts). */
export function clusterNodes(): string {
  const nodes = inject('redisClusterNodes');
  if (!nodes) throw new Error(inject('redisClusterError'));
  return nodes;
}

/** The two Redis setups the engine runs on, for `describe.each`. */
export type RedisSetup = 'single' | 'cluster';
export const REDIS_SETUPS: readonly RedisSetup[] = ['single', 'cluster'];

/** The configuration variables that point at a setup. */
export function redisEnv(setup: RedisSetup = 'single'): Record<string, string> {
  return setup === 'cluster'
    ? { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: clusterNodes() }
    : { REDIS_URL: redisUrl() };
}

/** A key prefix of this test's own, with a `{hash tag}` so Redis Cluster keeps it on one slot. */
export function uniquePrefix(label = 't'): string {
  return `{fs-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}}`;
}

/** Deletes every key of a deployment (never FLUSHALL: the Redis may not be ours). */
export async function deleteKeys(endpoint: string | RedisEndpoint, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(endpoint, prefix);
}
