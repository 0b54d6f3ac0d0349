import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../jobs/connection.js';
import type { Keys } from './keys.js';

export interface CallGateOptions {
  /** calls per second for the whole app (PROVIDER_RATE_LIMIT) */
  perSecond: number;
  pauseBaseMs: number;
  pauseMaxMs: number;
  /**
   * Calls are spaced windowMs / perSecond apart. A little over a second, so timer and network
   * jitter cannot squeeze perSecond + 1 calls into any one second at the provider.
   */
  windowMs?: number;
  /**
   * A process that wakes up more than this long after its slot (a stalled event loop, CPU
   * starvation) takes a new slot instead of calling late: a late call would land next to the
   * on-time calls of other processes and squeeze more than perSecond calls into one second.
   * Kept under half the margin windowMs leaves (1050 − 1000 ms).
   */
  lateMs?: number;
  /** local monotonic clock (ms) */
  now?: () => number;
  random?: () => number;
  onPause?: (ms: number) => void;
}

/** Slots given up in a row for being late before a call goes out late all the same. */
const MAX_STALE_SLOTS = 5;

/**
 * The app-wide provider call budget, shared through Redis by every worker process: each
 * call waits for a slot, and a 416 pauses every caller of the app until the pause ends.
 */
export class CallGate {
  private readonly windowMs: number;
  private readonly lateMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  /** this process saw a 416 since its last successful call */
  private backingOff = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly opts: CallGateOptions,
  ) {
    this.windowMs = opts.windowMs ?? 1050;
    this.lateMs = opts.lateMs ?? 20;
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
  }

  /** Resolves when this process may make one provider call. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (let stale = 0; ; ) {
      signal?.throwIfAborted();
      const asked = this.now();
      const wait = await this.redis.fsAcquireCall(
        this.keys.callSlot,
        this.keys.callPause,
        this.windowMs / this.opts.perSecond,
      );
      if (wait < 0) {
        // paused after a 416: wake up spread over a few ms, then take a slot
        await sleep(-wait + Math.floor(this.random() * 10), undefined, { signal });
        continue;
      }
      if (wait > 0) {
        await sleep(wait, undefined, { signal });
        // a 416 while we waited voids the slot: wait out the pause instead
        if ((await this.redis.pttl(this.keys.callPause)) > 0) continue;
      }
      // Redis reserved the slot after `asked`, so it is no earlier than asked + wait here. Much
      // later than that (a stalled event loop, a Redis that answered late), the slot has passed
      // and calling now would crowd the next slots: take a new one (a few times at most, so a
      // process that is always late still makes progress).
      if (this.now() - (asked + wait) > this.lateMs && stale < MAX_STALE_SLOTS) {
        stale++;
        continue;
      }
      return;
    }
  }

  /** Records a 416: every caller of the app pauses (exponential, jittered, capped). */
  async rateLimited(): Promise<number> {
    const ms = await this.redis.fsPauseCalls(
      this.keys.callPause,
      this.keys.callPauseStreak,
      this.opts.pauseBaseMs,
      this.opts.pauseMaxMs,
      this.random(),
    );
    this.backingOff = true;
    this.opts.onPause?.(ms);
    return ms;
  }

  /** A call went through: the next 416 starts again from the base pause. */
  async succeeded(): Promise<void> {
    if (!this.backingOff) return;
    this.backingOff = false;
    await this.redis.del(this.keys.callPauseStreak);
  }

  /** Remaining app-wide pause, for status and metrics. */
  async pausedForMs(): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.keys.callPause));
  }
}
