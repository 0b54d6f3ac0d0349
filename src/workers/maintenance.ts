import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../jobs/connection.js';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import { enqueueReconcile } from '../jobs/reconcile-jobs.js';
import type { Keys, PartitionKeys } from '../store/keys.js';

/** Accounts queued per step of a fleet-wide walk. */
const CHUNK = 500;
/** The walk waits while this many reconciles are queued in a partition, so live events keep flowing. */
const MAX_QUEUED = 2_000;

/**
 * Queues a reconcile for every known account (after a rules change, or `resync --all` with
 * `resync` set), in chunks, backing off while the reconcile queue is busy.
 */
export async function reconcileEveryAccount(
  redis: RedisClient,
  keys: Keys,
  reconcile: PartitionedQueue,
  opts: { resync: boolean; delayMs: number; signal?: AbortSignal },
): Promise<number> {
  let total = 0;
  for (const part of keys.parts) total += await walkPartition(redis, part, reconcile, opts);
  return total;
}

async function walkPartition(
  redis: RedisClient,
  part: PartitionKeys,
  reconcile: PartitionedQueue,
  opts: { resync: boolean; delayMs: number; signal?: AbortSignal },
): Promise<number> {
  const queue = reconcile.queues[part.partition]!;
  let cursor = '0';
  let total = 0;
  do {
    const [next, accounts] = await redis.sscan(part.accounts, cursor, 'COUNT', CHUNK);
    cursor = next;
    if (accounts.length === 0) continue;
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized');
      if ((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) < MAX_QUEUED) break;
      await sleep(200, undefined, { signal: opts.signal });
    }
    if (opts.resync) {
      const asks = redis.pipeline();
      for (const account of accounts) asks.hincrby(part.resyncRequests, account, 1);
      await asks.exec();
    }
    await enqueueReconcile(reconcile, accounts, opts.delayMs, opts.resync ? 'resync' : 'rules-changed');
    total += accounts.length;
  } while (cursor !== '0');
  return total;
}
