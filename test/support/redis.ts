import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { deleteKeysWithPrefix } from '../../src/redis/delete-prefix.js';

export function redisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(inject('redisError'));
  return url;
}

/** A key prefix of this test's own, with a `{hash tag}` so Redis Cluster keeps it on one slot. */
export function uniquePrefix(label = 't'): string {
  return `{fs-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}}`;
}

/** Deletes every key under a prefix (never FLUSHALL: the Redis may not be ours). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(url, prefix);
}
