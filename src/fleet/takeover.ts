import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import { decodeHolder, type HolderRecord } from '../store/holders.js';
import type { Keys } from '../store/keys.js';
import { deadWorkers, livenessTiming } from './liveness.js';

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
  lockMs: number,
): Promise<DeadHolding[]> {
  if (dead.size === 0) return [];
  const hashes = await Promise.all(keys.parts.map((part) => redis.hgetall(part.holders)));
  return hashes.flatMap((hash) =>
    Object.entries(hash).flatMap(([account, stored]) => {
      const record = decodeHolder(stored);
      const lastBeat = record && dead.get(record.worker);
      // a lease taken after its heartbeat had expired: the worker came back from a stall, and
      // what it took since is its own (both times by Redis's clock)
      return record && lastBeat !== undefined && record.since < lastBeat + lockMs
        ? [{ account, worker: record.worker, lastBeat, stored, record }]
        : [];
    }),
  );
}

/**
 * Frees the leases and BullMQ job locks of workers that stopped beating, so their accounts resume
 * at the next stalled-job check instead of when the locks expire; then forgets those workers.
 * Every worker process looks each beat; one of them a beat does the work. Idempotent, and safe
 * against a worker that was only slow: each key is freed only while it still holds the dead
 * worker's token, and a lease taken after its last beat is not touched.
 */
export async function takeOverDeadWorkers(
  redis: RedisClient,
  keys: Keys,
  log: Logger,
  lockMs: number,
): Promise<number> {
  const { now, dead } = await deadWorkers(redis, keys, lockMs);
  if (dead.size === 0) return 0;
  const turn = await redis.set(keys.takeoverTurn, '1', 'PX', livenessTiming(lockMs).beatMs, 'NX');
  if (turn !== 'OK') return 0;
  const holdings = await deadHoldings(redis, keys, dead, lockMs);
  const results = await Promise.allSettled(holdings.map((h) => takeOver(redis, keys, h)));
  let taken = 0;
  for (const [worker, lastBeat] of dead) {
    const mine = holdings.flatMap((h, i) => (h.worker === worker ? [{ h, r: results[i]! }] : []));
    const failed = mine.filter(({ r }) => r.status === 'rejected');
    const accounts = mine.filter(({ r }) => r.status === 'fulfilled' && r.value).map(({ h }) => h.account);
    taken += accounts.length;
    if (accounts.length > 0)
      log.warn(
        { worker, silentForMs: now - lastBeat, accounts: accounts.length, sample: accounts.slice(0, 10) },
        'took over the accounts of a worker that stopped beating',
      );
    if (failed.length > 0)
      log.warn(
        { worker, err: (failed[0]!.r as PromiseRejectedResult).reason },
        'takeover failed; retried next beat',
      );
    // forgotten only once all it held is handled, and only if it did not beat meanwhile
    else await redis.fsForgetWorker(keys.workers, worker, lastBeat);
  }
  return taken;
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
export async function livenessReport(redis: RedisClient, keys: Keys, lockMs: number) {
  const [{ now, dead }, registered] = await Promise.all([
    deadWorkers(redis, keys, lockMs),
    redis.zcard(keys.workers),
  ]);
  const holdings = await deadHoldings(redis, keys, dead, lockMs);
  const stopped = [...dead].map(([worker, lastBeat]) => {
    const waiting = holdings.filter((h) => h.worker === worker).map((h) => h.account);
    return {
      worker,
      silentForSeconds: Math.max(0, now - lastBeat) / 1000,
      accountsWaiting: waiting.length,
      sample: waiting.slice(0, 10),
    };
  });
  return {
    beating: registered - dead.size,
    stopped,
    accountsWaiting: holdings.length,
    /** how long the account that has waited longest has waited for a dead worker's lease */
    longestWaitSeconds: Math.max(
      0,
      ...stopped.filter((s) => s.accountsWaiting > 0).map((s) => s.silentForSeconds),
    ),
  };
}
