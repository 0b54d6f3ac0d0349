import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import { decodeHolder, type HolderRecord } from '../store/holders.js';
import type { Keys } from '../store/keys.js';
import { readWorkers } from './liveness.js';

/** An account whose lease a worker that stopped beating still holds. */
export interface DeadHolding {
  account: string;
  worker: string;
  /** the dead worker's last heartbeat (ms) */
  lastBeat: number;
  /** the holder record as stored, to take it over only if unchanged */
  stored: string;
  record: HolderRecord;
}

/** What dead workers hold, in every partition. */
export async function deadHoldings(
  redis: RedisClient,
  keys: Keys,
  dead: ReadonlyMap<string, number>,
): Promise<DeadHolding[]> {
  if (dead.size === 0) return [];
  const hashes = await Promise.all(keys.parts.map((part) => redis.hgetall(part.holders)));
  return hashes.flatMap((hash) =>
    Object.entries(hash).flatMap(([account, stored]) => {
      const record = decodeHolder(stored);
      const lastBeat = record && dead.get(record.worker);
      return record && lastBeat !== undefined
        ? [{ account, worker: record.worker, lastBeat, stored, record }]
        : [];
    }),
  );
}

/**
 * Frees the leases and BullMQ job locks of workers that stopped beating, so their accounts resume
 * at the next stalled-job check instead of when the locks expire; then forgets those workers.
 * Run by every worker process each heartbeat; idempotent, and safe against a worker that was only
 * slow: each key is freed only while it still holds the dead worker's token.
 */
export async function takeOverDeadWorkers(redis: RedisClient, keys: Keys, log: Logger): Promise<number> {
  const { dead } = await readWorkers(redis, keys);
  if (dead.size === 0) return 0;
  const holdings = await deadHoldings(redis, keys, dead);
  const taken = await Promise.all(holdings.map((h) => takeOver(redis, keys, h)));
  for (const [worker, lastBeat] of dead) {
    const accounts = holdings.filter((h, i) => h.worker === worker && taken[i]).map((h) => h.account);
    if (accounts.length > 0)
      log.warn(
        {
          worker,
          silentForMs: Date.now() - lastBeat,
          accounts: accounts.length,
          sample: accounts.slice(0, 10),
        },
        'took over the accounts of a worker that stopped beating',
      );
  }
  await redis.zrem(keys.workers, ...dead.keys());
  return taken.filter(Boolean).length;
}

async function takeOver(redis: RedisClient, keys: Keys, h: DeadHolding): Promise<boolean> {
  const lease = keys.lease(h.account);
  const { job, leaseToken } = h.record;
  // without a job the lease key stands in for the lock's: a Cluster wants every key in one slot
  const lock = job?.lockKey ?? lease;
  const holders = keys.partOf(h.account).holders;
  return (
    (await redis.fsTakeOver(lease, holders, lock, h.account, h.stored, leaseToken, job?.token ?? '')) === 1
  );
}

/** Worker processes beating, and accounts waiting for one that stopped: `status`, /readyz and metrics. */
export async function livenessReport(redis: RedisClient, keys: Keys, now = Date.now()) {
  const { live, dead } = await readWorkers(redis, keys);
  const holdings = await deadHoldings(redis, keys, dead);
  const stopped = [...dead].map(([worker, lastBeat]) => ({
    worker,
    silentForSeconds: Math.max(0, now - lastBeat) / 1000,
    accountsWaiting: holdings.filter((h) => h.worker === worker).length,
    sample: holdings
      .filter((h) => h.worker === worker)
      .slice(0, 10)
      .map((h) => h.account),
  }));
  return {
    beating: live.length,
    stopped,
    accountsWaiting: holdings.length,
    /** how long the account that has waited longest has waited for a dead worker's lease */
    longestWaitSeconds: Math.max(
      0,
      ...stopped.filter((s) => s.accountsWaiting > 0).map((s) => s.silentForSeconds),
    ),
  };
}
