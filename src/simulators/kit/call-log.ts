/**
 * What the simulator was asked: counts per endpoint and code, the largest id list seen, and the
 * peak number of calls inside any sliding 1-second window (all calls, and calls not rate limited).
 */
export interface CallStats {
  total: number;
  byEndpoint: Record<string, Record<string, number>>;
  peakPerSecond: number;
  peakAcceptedPerSecond: number;
  maxIdsInCall: number;
  callsOverIdLimit: number;
  rateLimited: number;
  /** successful answers held past the client's timeout (apply-then-stall faults) */
  stalled: number;
  firstCallAt: number | undefined;
  lastCallAt: number | undefined;
}

export interface CallRecord {
  at: number;
  endpoint: string;
  code: number;
  ids: number;
  /** items the answer refused one by one (Yunxin failed_list, Tencent ResultCode ≠ 0) */
  failed: number;
  /** the account the call was about, when it names one (for tests that follow one account) */
  account?: string;
  /** the conversation ids the call carried (for tests that follow one item) */
  conversationIds?: string[];
  /** Yunxin's X-custom-traceid header, as received */
  traceId?: string;
  /** the W3C traceparent header, as received (the caller's HTTP span) */
  traceparent?: string;
}

class SlidingWindow {
  private readonly times: number[] = [];
  private head = 0;
  peak = 0;

  add(at: number): void {
    this.times.push(at);
    while (this.times[this.head]! <= at - 1000) this.head++;
    if (this.head > 4096) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    this.peak = Math.max(this.peak, this.times.length - this.head);
  }
}

export interface CallLogOptions {
  /** ids per call the provider allows: calls over it are counted */
  idLimit: number;
  /** the provider's success code (Yunxin 200, Tencent 0): what count() counts by default */
  successCode: number;
  /** the provider's rate-limit answers (Yunxin 416, Tencent 60007…) */
  rateLimitCodes: readonly number[];
  keepRecent?: number;
}

export class CallLog {
  private all = new SlidingWindow();
  private accepted = new SlidingWindow();
  private stats: CallStats = emptyStats();
  private recent: CallRecord[] = [];
  private readonly idLimit: number;
  private readonly successCode: number;
  private readonly rateLimitCodes: ReadonlySet<number>;
  private readonly keepRecent: number;

  constructor(opts: CallLogOptions) {
    this.idLimit = opts.idLimit;
    this.successCode = opts.successCode;
    this.rateLimitCodes = new Set(opts.rateLimitCodes);
    this.keepRecent = opts.keepRecent ?? 10_000;
  }

  record(call: CallRecord): void {
    const s = this.stats;
    s.total++;
    const codes = s.byEndpoint[call.endpoint] ?? {};
    s.byEndpoint[call.endpoint] = codes;
    codes[call.code] = (codes[call.code] ?? 0) + 1;
    this.all.add(call.at);
    if (this.rateLimitCodes.has(call.code)) s.rateLimited++;
    else this.accepted.add(call.at);
    s.peakPerSecond = this.all.peak;
    s.peakAcceptedPerSecond = this.accepted.peak;
    s.maxIdsInCall = Math.max(s.maxIdsInCall, call.ids);
    if (call.ids > this.idLimit) s.callsOverIdLimit++;
    s.firstCallAt ??= call.at;
    s.lastCallAt = call.at;
    this.recent.push(call);
    if (this.recent.length > this.keepRecent * 2) this.recent = this.recent.slice(-this.keepRecent);
  }

  snapshot(): CallStats {
    return structuredClone(this.stats);
  }

  recentCalls(): CallRecord[] {
    return this.recent.slice(-this.keepRecent);
  }

  /** Calls answered with `code` (default: success) to one endpoint, for call-count assertions. */
  count(endpoint: string, code = this.successCode): number {
    return this.stats.byEndpoint[endpoint]?.[code] ?? 0;
  }

  /** An answer the faults held back (the change was applied; the caller will likely time out). */
  stalledAnswer(): void {
    this.stats.stalled++;
  }

  reset(): void {
    this.all = new SlidingWindow();
    this.accepted = new SlidingWindow();
    this.stats = emptyStats();
    this.recent = [];
  }
}

function emptyStats(): CallStats {
  return {
    total: 0,
    byEndpoint: {},
    peakPerSecond: 0,
    peakAcceptedPerSecond: 0,
    maxIdsInCall: 0,
    callsOverIdLimit: 0,
    rateLimited: 0,
    stalled: 0,
    firstCallAt: undefined,
    lastCallAt: undefined,
  };
}
