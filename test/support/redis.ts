import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export function redisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(inject('redisError'));
  return url;
}

/** A key prefix of this test's own, with a `{hash tag}` so Redis Cluster keeps it on one slot. */
export function uniquePrefix(label = 't'): string {
  return `{fs-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}}`;
}

/** Deletes every key under a prefix (SCAN, never FLUSHALL: the Redis may not be ours). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
