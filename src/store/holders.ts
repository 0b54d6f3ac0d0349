import { randomBytes } from 'node:crypto';

/**
 * Who holds an account's lease: the worker process, and the BullMQ job it runs for it. Kept in
 * the partition's `holders` hash beside the lease, so that when a worker stops beating another
 * process frees both at once (src/fleet/takeover.ts) instead of waiting for them to expire.
 */
export interface LeaseHolder {
  /** the worker process (src/fleet/liveness.ts) */
  worker: string;
  /** the BullMQ lock key of the job running the reconcile, and the job's token in it */
  job?: { lockKey: string; token: string };
}

export interface HolderRecord extends LeaseHolder {
  leaseToken: string;
  /** when the lease was taken (ms, Redis's clock) */
  since: number;
}

/** A lease token names its worker: `<worker>~<random>` (worker ids hold neither `~` nor `|`). */
export function leaseToken(worker: string | undefined): string {
  const random = randomBytes(12).toString('hex');
  return worker === undefined ? random : `${worker}~${random}`;
}

/**
 * A holder record is `<lease token>|<since>|<job token>|<job lock key>` (the lock key last, as a
 * prefix may hold `|`); acquireLease-2.lua writes the first two, with `since` by Redis's clock,
 * in front of this tail.
 */
export function holderTail(holder: LeaseHolder): string {
  return `${holder.job?.token ?? ''}|${holder.job?.lockKey ?? ''}`;
}

export function decodeHolder(value: string): HolderRecord | undefined {
  const parts = value.split('|');
  if (parts.length < 4) return undefined;
  const [leaseToken, since, token, ...lock] = parts as [string, string, string, ...string[]];
  const worker = leaseToken.includes('~') ? leaseToken.slice(0, leaseToken.lastIndexOf('~')) : '';
  const lockKey = lock.join('|');
  if (!worker || !Number.isFinite(Number(since))) return undefined;
  return {
    leaseToken,
    since: Number(since),
    worker,
    ...(token && lockKey ? { job: { lockKey, token } } : {}),
  };
}
