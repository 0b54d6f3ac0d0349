/** The fenced write against a real Redis: what it refuses and how a resync request is cleared. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/jobs/connection.js';
import { AccountStore, LeaseLostError } from '../../src/store/account-store.js';
import { DEFAULT_PARTITIONS, keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('fenced');
const keys = keysFor(prefix, DEFAULT_PARTITIONS);
let redis: Redis;
let store: AccountStore;
beforeAll(() => {
  redis = withScripts(createRedis(redisUrl(), 'worker', () => {}));
  store = new AccountStore(redis, keys);
});
afterAll(async () => {
  await deleteKeys(redisUrl(), prefix);
  redis.disconnect();
});

describe('fsFencedWrite', () => {
  it('refuses an unknown op or key index and writes nothing, not even the valid ops before it', async () => {
    const lease = (await store.acquireLease('a', 10_000))!;
    await redis.hset(keys.ledger('a'), 'g|app:x', 'kept');
    const call = (...ops: Array<string | number>) =>
      redis.fsFencedWrite(
        keys.lease('a'),
        keys.ledger('a'),
        keys.rejections('a'),
        keys.retries('a'),
        keys.status('a'),
        keys.partOf('a').resyncRequests,
        keys.partOf('a').verifyRequests,
        keys.partOf('a').parked,
        lease.token,
        ...ops,
      );
    await expect(call(2, 's', 'f', 'v', 2, 'z', '', '')).rejects.toThrow('unknown op z');
    await expect(call(2, 's', 'f', 'v', 9, 's', 'f', 'v')).rejects.toThrow('bad key index 9');
    expect(await redis.hgetall(keys.ledger('a'))).toEqual({ 'g|app:x': 'kept' });
    await store.releaseLease(lease);
  });

  it("writes nothing once the lease is another worker's", async () => {
    const lease = (await store.acquireLease('b', 10_000))!;
    await redis.set(keys.lease('b'), 'successor');
    await expect(
      store.write(lease, [{ hash: 'ledger', op: 'set', field: 'x', value: '1' }]),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await redis.exists(keys.ledger('b'))).toBe(0);
  });

  it('clears a resync request only while it is still the one that was served', async () => {
    const lease = (await store.acquireLease('c', 10_000))!;
    await store.requestResync('c'); // request 1: being served
    await store.requestResync('c'); // request 2: asked for meanwhile
    await store.write(lease, [{ hash: 'resync', op: 'delIfEquals', field: 'c', value: '1' }]);
    expect(await redis.hget(keys.partOf('c').resyncRequests, 'c')).toBe('2');
    await store.write(lease, [{ hash: 'resync', op: 'delIfEquals', field: 'c', value: '2' }]);
    expect(await redis.hexists(keys.partOf('c').resyncRequests, 'c')).toBe(0);
  });
});
