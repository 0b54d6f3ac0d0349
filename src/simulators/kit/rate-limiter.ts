import { z } from 'zod';

/** The token-bucket settings; `defaultPerSecond` is the provider's documented default rate. */
export function rateLimitConfigSchemaFor(defaultPerSecond: number) {
  return z.object({
    /** calls per second per endpoint per app; 0 disables the limiter */
    perSecond: z.number().nonnegative().default(defaultPerSecond),
    /** bucket size; defaults to one second's worth */
    burst: z.number().positive().optional(),
    /** after a rate-limit answer every call of that endpoint is refused for this long ("a period of blocking") */
    blockMs: z.number().nonnegative().default(0),
  });
}
export type RateLimitConfig = z.output<ReturnType<typeof rateLimitConfigSchemaFor>>;

interface Bucket {
  tokens: number;
  last: number;
  blockedUntil: number;
}

/** A token bucket per endpoint: both providers limit each API of an app separately (§A8, §B2). */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private config: RateLimitConfig,
    private readonly now: () => number,
  ) {}

  configure(config: RateLimitConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  current(): RateLimitConfig {
    return this.config;
  }

  /** True when the call may proceed; false means answer the provider's rate-limit code. */
  take(endpoint: string): boolean {
    const now = this.now();
    const bucket = this.bucket(endpoint, now);
    if (now < bucket.blockedUntil) return false;
    if (this.config.perSecond === 0) return true;
    const burst = this.config.burst ?? this.config.perSecond;
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) / 1000) * this.config.perSecond);
    bucket.last = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.block(endpoint);
    return false;
  }

  /**
   * Starts the blocking period (also used when a 416 is injected as a fault). A 416 answered
   * during a block does not extend it: the period runs from the call that tripped the limit.
   */
  block(endpoint: string): void {
    if (this.config.blockMs > 0) {
      const now = this.now();
      const bucket = this.bucket(endpoint, now);
      if (now >= bucket.blockedUntil) bucket.blockedUntil = now + this.config.blockMs;
    }
  }

  private bucket(endpoint: string, now: number): Bucket {
    let bucket = this.buckets.get(endpoint);
    if (!bucket) {
      bucket = { tokens: this.config.burst ?? this.config.perSecond, last: now, blockedUntil: 0 };
      this.buckets.set(endpoint, bucket);
    }
    return bucket;
  }
}
