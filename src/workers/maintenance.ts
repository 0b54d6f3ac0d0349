import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { enqueueReconcile } from '../jobs/reconcile-jobs.js';
import type { Keys } from '../store/keys.js';

/** Accounts queued per step of a fleet-wide walk. */
const CHUNK = 500;
/** The walk waits while this many reconciles are already queued, so live events keep flowing. */
const MAX_QUEUED = 2_000;

/**
 * Queues a reconcile for every known account (after a rules change, or `resync --all` with
 * `resync` set), in chunks, backing off while the reconcile queue is busy.
 */
export async function reconcileEveryAccount(
  redis: Redis,
  keys: Keys,
  reconcile: Queue,
  opts: { resync: boolean; delayMs: number; signal?: AbortSignal },
): Promise<number> {
  let cursor = '0';
  let total = 0;
  do {
    const [next, accounts] = await redis.sscan(keys.accounts, cursor, 'COUNT', CHUNK);
    cursor = next;
    if (accounts.length === 0) continue;
    for (;;) {
      const counts = await reconcile.getJobCounts('waiting', 'delayed', 'prioritized');
      if ((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) < MAX_QUEUED) break;
      await sleep(200, undefined, { signal: opts.signal });
    }
    if (opts.resync) {
      const asks = redis.pipeline();
      for (const account of accounts) asks.hincrby(keys.resyncRequests, account, 1);
      await asks.exec();
    }
    await enqueueReconcile(reconcile, accounts, opts.delayMs, opts.resync ? 'resync' : 'rules-changed');
    total += accounts.length;
  } while (cursor !== '0');
  return total;
}
