/**
 * How long the next call of one endpoint waits for its answer's headers: a multiple of the
 * endpoint's recent p99 latency, between a floor and the configured timeout (the ceiling).
 * Pure: the caller passes the time in.
 */
export const TIMEOUT_BUDGET = {
  /**
   * budget = p99 × k. A latency tail rarely reaches twice its p99 (the p99.9 of the usual
   * long-tailed shapes); 4 leaves room for that and for a provider slower by half before a live
   * answer is cut off.
   */
  k: 4,
  /**
   * Never less: below a second, a GC pause, an event loop busy with a large account or a new
   * TLS connection could turn a live answer into a timeout.
   */
  floorMs: 1_000,
  /** Fewer recent answers than this: the ceiling (a p99 of a handful of samples means nothing). */
  minSamples: 20,
  /** Answers remembered per endpoint: the p99 is about the 3rd slowest, so one outlier does not move it. */
  windowSize: 200,
  /** Answers older than this are forgotten: the budget follows the provider's latency of now. */
  maxAgeMs: 10 * 60_000,
} as const;

export type BudgetSettings = { readonly [K in keyof typeof TIMEOUT_BUDGET]: number };

/** The limit of one call and where it comes from. */
export interface Budget {
  ms: number;
  /** the window's p99, or undefined while it has too few answers (the budget is then the ceiling) */
  p99Ms: number | undefined;
  /** doublings after timeouts that answers within the plain budget have not undone yet */
  backoff: number;
}

/** One endpoint's recent answer latencies and the budget they give. */
export class LatencyBudget {
  private readonly samples: Array<{ ms: number; at: number }> = [];
  /** the window's p99, undefined once the window changed */
  private p99Cache: number | undefined;
  private backoff = 0;

  constructor(
    readonly ceilingMs: number,
    private readonly settings: BudgetSettings = TIMEOUT_BUDGET,
  ) {}

  /** The limit for a call starting now. */
  budget(now: number): Budget {
    const base = this.base(now);
    const ms = Math.min(this.ceilingMs, base * 2 ** this.backoff);
    return { ms, p99Ms: this.p99(now), backoff: this.backoff };
  }

  /**
   * An answer came after `ms`. One within the plain budget undoes a doubling: the provider is
   * back to its usual latency. A slower one keeps the doubling until the window has learnt it.
   */
  answered(ms: number, now: number): void {
    if (this.backoff > 0 && ms <= this.base(now)) this.backoff--;
    this.samples.push({ ms, at: now });
    if (this.samples.length > this.settings.windowSize) this.samples.shift();
    this.p99Cache = undefined;
  }

  /**
   * A call got no answer within its budget. Not a sample (a stall would push every later
   * budget up); instead the budget doubles, up to the ceiling, so a provider slow for real
   * costs a few timeouts, not a stream of them, until its answers fill the window.
   */
  timedOut(now: number): void {
    if (this.budget(now).ms < this.ceilingMs) this.backoff++;
  }

  /** clamp(p99 × k, floor, ceiling); the ceiling while the window is short. */
  private base(now: number): number {
    const p99 = this.p99(now);
    if (p99 === undefined) return this.ceilingMs;
    const floor = Math.min(this.settings.floorMs, this.ceilingMs);
    return Math.min(this.ceilingMs, Math.max(floor, Math.ceil(p99 * this.settings.k)));
  }

  private p99(now: number): number | undefined {
    this.forgetOld(now);
    if (this.samples.length < this.settings.minSamples) return undefined;
    this.p99Cache ??= nearestRankP99(this.samples.map((s) => s.ms));
    return this.p99Cache;
  }

  private forgetOld(now: number): void {
    const oldest = now - this.settings.maxAgeMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.at < oldest) drop++;
    if (drop === 0) return;
    this.samples.splice(0, drop);
    this.p99Cache = undefined;
  }
}

/** The smallest of (at least one) samples with 99 % of them at or below it. */
export function nearestRankP99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)]!;
}

/** Where a budget comes from, for a timeout's message: "adaptive, p99 48 ms". */
export function describeBudget(b: Budget): string {
  if (b.p99Ms === undefined) return 'the configured timeout: too few recent answers to adapt';
  const doubled = b.backoff > 0 ? `, doubled ${b.backoff}× after timeouts` : '';
  return `adaptive, p99 ${Math.round(b.p99Ms)} ms${doubled}`;
}
