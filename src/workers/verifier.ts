import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../jobs/connection.js';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import { enqueueReconcile } from '../jobs/reconcile-jobs.js';
import type { Logger } from '../log.js';
import type { Keys, PartitionKeys } from '../store/keys.js';

export interface VerifierOptions {
  redis: RedisClient;
  keys: Keys;
  reconcile: PartitionedQueue;
  log: Logger;
  /** the app's provider calls per second (all processes together) */
  perSecond: number;
  /** VERIFY_SHARE: the share of perSecond verification may use, all processes together */
  share: number;
  /** VERIFY_MIN_INTERVAL_MS: an account is read back at most this often */
  minIntervalMs: number;
  now?: () => number;
}

/**
 * What a verification is expected to cost in requests before any was measured (the list, one
 * page of members). The budget reserves the running average of what they cost, and the read-back
 * that serves one is charged whatever its reservation did not cover.
 */
export const VERIFY_REQUESTS = 2;
/** How long to wait when no account is due, or too many verifications wait to be served. */
const IDLE_MS = 1_000;
/**
 * Verifications queued and not served yet, fleet-wide, beyond which no more are claimed: under a
 * backlog their reconciles wait in line, and claiming on would spend budget ahead of them.
 */
const MAX_OUTSTANDING = 2;
/** A request older than this is not waited for (its account may keep failing). */
const OUTSTANDING_FOR_MS = 5 * 60_000;

/** A verification request: when it was claimed and the requests its reservation covers. */
export function parseVerifyRequest(value: string): { claimedAt: number; reserved: number } {
  const [claimedAt, reserved] = value.split(':').map(Number);
  return { claimedAt: claimedAt || 0, reserved: Number.isFinite(reserved) ? reserved! : VERIFY_REQUESTS };
}

/**
 * Continuous verification (anti-entropy): the least recently verified account, in turn, gets
 * a reconcile that reads its groups back and repairs drift the way `resync` does — client-side
 * edits, lost Redis writes, anything the ledger missed. Its requests come out of a budget of its
 * own (a GCRA slot in Redis, `share` of the provider rate, all processes together) on top of the
 * app's shared limiter, so verification never pushes the app over its rate limit and takes at
 * most that share from live reconciles.
 */
export class Verifier {
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly now: () => number;
  /** ms of the verification budget one request costs */
  readonly spacingMs: number;
  /** running average of the requests a verification sent (this process's read-backs) */
  private average = VERIFY_REQUESTS;

  constructor(private readonly opts: VerifierOptions) {
    this.now = opts.now ?? Date.now;
    // the same 1050 ms window as the app's limiter (call-gate.ts)
    this.spacingMs = 1050 / (opts.perSecond * opts.share);
  }

  start(): void {
    if (this.opts.share <= 0) return;
    this.loop = this.run().catch((error: unknown) => {
      if (!this.stopped.signal.aborted) this.opts.log.error({ err: error }, 'verification stopped');
    });
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.loop;
  }

  /** The read-back serving `request` sent `requests`: charge what its reservation did not cover. */
  async charge(requests: number, request: string): Promise<void> {
    this.average = 0.8 * this.average + 0.2 * requests;
    const extra = requests - parseVerifyRequest(request).reserved;
    if (extra > 0) await this.reserve(extra);
  }

  private async run(): Promise<void> {
    const { redis, log } = this.opts;
    await this.seed();
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      if ((await this.outstanding()) >= MAX_OUTSTANDING) {
        await sleep(IDLE_MS, undefined, { signal });
        continue;
      }
      const reserved = Math.max(1, Math.round(this.average));
      const wait = await this.reserve(reserved);
      if (wait !== 0) await sleep(Math.abs(wait), undefined, { signal });
      // negative: the app is paused after a rate-limit answer and nothing was reserved
      if (wait < 0) continue;
      const part = await this.oldestPartition();
      const account = part
        ? await redis.fsClaimVerification(part.verified, this.now(), this.opts.minIntervalMs)
        : null;
      if (!part || !account) {
        await sleep(IDLE_MS, undefined, { signal });
        continue;
      }
      await redis.hset(part.verifyRequests, account, `${this.now()}:${reserved}`);
      await enqueueReconcile(this.opts.reconcile, [account], 0, 'verify');
      log.debug({ account }, 'verification queued');
    }
  }

  /** The partition whose least recently verified account waits longest, if any has accounts. */
  private async oldestPartition(): Promise<PartitionKeys | undefined> {
    const { redis, keys } = this.opts;
    const heads = await Promise.all(
      keys.parts.map((part) => redis.zrange(part.verified, '0', '0', 'WITHSCORES')),
    );
    let best: { part: PartitionKeys; score: number } | undefined;
    heads.forEach((head, p) => {
      const score = head.length === 2 ? Number(head[1]) : Number.POSITIVE_INFINITY;
      if (score < (best?.score ?? Number.POSITIVE_INFINITY)) best = { part: keys.parts[p]!, score };
    });
    return best?.part;
  }

  /** Verification requests claimed lately and not served yet, all processes together. */
  private async outstanding(): Promise<number> {
    const since = this.now() - OUTSTANDING_FOR_MS;
    const { redis, keys } = this.opts;
    const requests = (await Promise.all(keys.parts.map((part) => redis.hvals(part.verifyRequests)))).flat();
    return requests.filter((r) => parseVerifyRequest(r).claimedAt > since).length;
  }

  /**
   * Reserves budget for `requests`: resolves to the ms until that reservation's slot, or minus
   * the app's remaining rate-limit pause (then nothing was reserved).
   */
  private reserve(requests: number): Promise<number> {
    const { redis, keys } = this.opts;
    return redis.fsAcquireCall(keys.verifySlot, keys.callPause, this.spacingMs * requests);
  }

  /** Accounts known from before verification existed join the line first (score 0). */
  private async seed(): Promise<void> {
    for (const part of this.opts.keys.parts) await this.seedPartition(part);
  }

  private async seedPartition(part: PartitionKeys): Promise<void> {
    const { redis } = this.opts;
    const [accounts, verified] = await Promise.all([redis.scard(part.accounts), redis.zcard(part.verified)]);
    if (verified >= accounts) return;
    let cursor = '0';
    do {
      const [next, batch] = await redis.sscan(part.accounts, cursor, 'COUNT', 1000);
      cursor = next;
      if (batch.length) await redis.zadd(part.verified, 'NX', ...batch.flatMap((a) => [0, a]));
    } while (cursor !== '0' && !this.stopped.signal.aborted);
  }
}
