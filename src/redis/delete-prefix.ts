import { createRedis, nodesOf, type RedisEndpoint } from '../jobs/connection.js';
import { partitionPrefix } from '../store/keys.js';
import type { ErrorSink } from './errors.js';

/** Glob patterns for every key of a deployment: its app-wide prefix and each partition's. */
export function deploymentPatterns(prefix: string): string[] {
  const glob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');
  // the partition prefix with "*" for its number: `{fs}` → `{fs:p*`, `fs` → `fs:{p*`
  const partitions = partitionPrefix(prefix, 0, 1);
  const cut = partitions.lastIndexOf('p0') + 1;
  return [`${glob(prefix)}*`, `${glob(partitions.slice(0, cut))}*`];
}

/**
 * Deletes every key of a deployment (SCAN + UNLINK on every master; never FLUSHALL: the Redis
 * may be shared). A failure rejects; `onError` gets the connection's errors meanwhile.
 */
export async function deleteKeysWithPrefix(
  endpoint: string | RedisEndpoint,
  prefix: string,
  onError: ErrorSink = () => {},
): Promise<number> {
  const client = createRedis(endpoint, 'producer', onError, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await client.ping(); // a Cluster knows its masters once connected
    for (const node of nodesOf(client)) {
      for (const pattern of deploymentPatterns(prefix)) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          // one UNLINK per key (a Cluster node refuses several keys of different slots in one)
          const replies = await node.pipeline(keys.map((key) => ['unlink', key])).exec();
          for (const [error, n] of replies ?? []) {
            if (error) throw error;
            deleted += n as number;
          }
        } while (cursor !== '0');
      }
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}
