import { createRedis } from '../jobs/connection.js';
import type { ErrorSink } from '../log.js';

/**
 * Deletes every key under a prefix (SCAN + UNLINK; never FLUSHALL: the Redis may be shared).
 * A failure rejects; `onError` gets the connection's errors meanwhile (default: none printed).
 */
export async function deleteKeysWithPrefix(
  url: string,
  prefix: string,
  onError: ErrorSink = () => {},
): Promise<number> {
  const client = createRedis(url, 'producer', onError, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    // the prefix may hold glob characters ({hash tag} braces are fine; escape the rest)
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
