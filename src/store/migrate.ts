import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * Before 0.2 resync requests were a set of accounts; they are now numbered per account, so a
 * read-back clears only the request it served. Moves any left in the old set (idempotent: a
 * request moved twice is asked twice, which costs one read-back).
 */
export async function migrateLegacyResync(redis: Redis, keys: Keys): Promise<void> {
  if ((await redis.type(keys.legacyResync)) !== 'set') return;
  let cursor = '0';
  do {
    const [next, accounts] = await redis.sscan(keys.legacyResync, cursor, 'COUNT', 1000);
    cursor = next;
    const asks = redis.multi();
    for (const account of accounts) asks.hincrby(keys.resyncRequests, account, 1);
    await asks.exec();
  } while (cursor !== '0');
  await redis.del(keys.legacyResync);
}
