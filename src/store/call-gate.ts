import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

export interface CallGateOptions {
  /** calls per second for the whole app (YUNXIN_RATE_LIMIT) */
  perSecond: number;
  pauseBaseMs: number;
  pauseMaxMs: number;
  /**
   * Window length: a little over a second, so the jitter between our clock read and the
   * provider's arrival time cannot squeeze perSecond + 1 calls into one provider second.
   */
  windowMs?: number;
  random?: () => number;
  onPause?: (ms: number) => void;
}

/**
 * The app-wide provider call budget, shared through Redis by every worker process: each
 * call waits for a slot, and a 416 pauses every caller of the app until the pause ends.
 */
export class CallGate {
  private readonly windowMs: number;
  private readonly random: () => number;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly opts: CallGateOptions,
  ) {
    this.windowMs = opts.windowMs ?? 1050;
    this.random = opts.random ?? Math.random;
  }

  /** Resolves when this process may make one provider call. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const member = `${Date.now()}-${randomBytes(6).toString('hex')}`;
      const wait = await this.redis.fsAcquireCall(
        this.keys.callWindow,
        this.keys.callPause,
        this.opts.perSecond,
        this.windowMs,
        member,
      );
      if (wait <= 0) return;
      // Spread the wake-ups of the waiting callers over a few ms.
      await sleep(Math.min(wait, 1000) + Math.floor(this.random() * 5), undefined, { signal });
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
    this.opts.onPause?.(ms);
    return ms;
  }

  /** Remaining app-wide pause, for status and metrics. */
  async pausedForMs(): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.keys.callPause));
  }
}
