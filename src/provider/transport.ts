import { Agent, request } from 'undici';
import { type ProviderCallError, type ProviderCallErrorInit, TRANSPORT_CODES } from './errors.js';
import { type Budget, describeBudget, LatencyBudget } from './latency-budget.js';

export interface TransportOptions {
  /** base URLs in order of preference: primary first, then backups */
  endpoints: readonly string[];
  connectTimeoutMs?: number;
  /** the longest wait for an answer's headers: the ceiling of each endpoint's latency budget */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** told when an endpoint's wait for headers changes (a gauge), with the endpoint's name */
  onTimeoutBudget?: (endpoint: string, ms: number) => void;
  /** sockets per origin */
  connections?: number;
  keepAliveTimeoutMs?: number;
  /** after a connection failure an endpoint is tried last for this long */
  demoteForMs?: number;
  now?: () => number;
}

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Readonly<Record<string, string>>;
  body?: unknown;
  /** "POST /v4/recentcontact/create_contact_group": the endpoint as errors and logs name it */
  label: string;
  /** "group.create": the endpoint as metrics name it; each has a latency budget of its own */
  endpoint: string;
  /** false for a call that makes a second object when repeated (a create) */
  idempotent: boolean;
  traceId: string;
  /** fresh headers per attempt (a signature's nonce is never sent twice) */
  headers: () => Record<string, string>;
  /**
   * awaited before each fail-over attempt (not the first): a request to the backup is one more
   * request the provider counts, so it takes its own slot of the shared rate limit
   */
  beforeRetry?: () => Promise<void>;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  text: string;
  baseUrl: string;
}

/** Builds the provider's own error type from a transport failure. */
export type TransportErrorFactory = (init: ProviderCallErrorInit) => ProviderCallError;

/** Errors raised before a single byte of the request could have reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';
const TIMEOUT_CODES = new Set([HEADERS_TIMEOUT, 'UND_ERR_BODY_TIMEOUT', 'ABORT_ERR']);

/**
 * HTTP with keep-alive, timeouts and fail-over across a provider's primary/backup hosts.
 * Fail-over happens on connection errors and HTTP 5xx only; business errors come back with
 * HTTP 200 (both providers) and are the client's to read. A non-idempotent call (a create) is
 * never repeated once it may have been sent: it fails with kind `ambiguous` instead. The wait
 * for an answer's headers is the endpoint's latency budget (about its tail, at most
 * headersTimeoutMs), so a stalled answer costs little; a body may idle bodyTimeoutMs.
 */
export class Transport {
  private readonly agent: Agent;
  private readonly endpoints: string[];
  private readonly demotedUntil = new Map<string, number>();
  private readonly now: () => number;
  private readonly demoteForMs: number;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;
  private readonly budgets = new Map<string, { window: LatencyBudget; reported?: number }>();
  private readonly onTimeoutBudget: ((endpoint: string, ms: number) => void) | undefined;

  constructor(
    opts: TransportOptions,
    private readonly makeError: TransportErrorFactory,
  ) {
    if (opts.endpoints.length === 0) throw new Error('at least one provider endpoint is required');
    this.endpoints = opts.endpoints.map((e) => e.replace(/\/+$/, ''));
    this.now = opts.now ?? Date.now;
    this.demoteForMs = opts.demoteForMs ?? 30_000;
    this.headersTimeout = opts.headersTimeoutMs ?? 10_000;
    this.bodyTimeout = opts.bodyTimeoutMs ?? 10_000;
    this.onTimeoutBudget = opts.onTimeoutBudget;
    this.agent = new Agent({
      connections: opts.connections ?? 32,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
      connect: { timeout: opts.connectTimeoutMs ?? 5_000 },
    });
  }

  /** Endpoints in the order to try now: healthy ones first, in configured order. */
  order(): string[] {
    const now = this.now();
    const healthy = this.endpoints.filter((e) => (this.demotedUntil.get(e) ?? 0) <= now);
    return [...healthy, ...this.endpoints.filter((e) => !healthy.includes(e))];
  }

  async send(req: TransportRequest): Promise<TransportResponse> {
    const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : '';
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const sentKind = req.idempotent ? 'transient' : 'ambiguous';
    let lastError: ProviderCallError | undefined;

    for (const [attempt, base] of this.order().entries()) {
      if (attempt > 0) await req.beforeRetry?.();
      const limit = this.budget(req.endpoint);
      const fail = (
        init: { code: number; msg: string; kind: 'transient' | 'ambiguous'; status?: number },
        cause?: unknown,
      ) =>
        this.makeError({
          ...init,
          httpStatus: init.status,
          endpoint: req.label,
          traceId: req.traceId,
          baseUrl: base,
          cause,
        });
      let res: { statusCode: number; text: string };
      try {
        res = await this.exchange(`${base}${req.path}${qs}`, req, body, limit.ms);
      } catch (error) {
        const code = errorCode(error);
        if (code === HEADERS_TIMEOUT) this.track(req.endpoint, (w, now) => w.timedOut(now));
        if (NOT_SENT_CODES.has(code)) {
          this.demotedUntil.set(base, this.now() + this.demoteForMs);
          lastError = fail(
            { code: TRANSPORT_CODES.network, msg: `${code} connecting`, kind: 'transient' },
            error,
          );
          continue;
        }
        const timeout = TIMEOUT_CODES.has(code) || (error as Error).name === 'AbortError';
        const err = fail(
          {
            code: timeout ? TRANSPORT_CODES.timeout : TRANSPORT_CODES.network,
            msg: sentFailure(code || (error as Error).name, limit),
            kind: sentKind,
          },
          error,
        );
        // The server may have the request: an idempotent call may go to the backup, a create may not.
        if (!req.idempotent || req.signal?.aborted) throw err;
        lastError = err;
        continue;
      }
      if (res.statusCode >= 500) {
        const err = fail({
          code: TRANSPORT_CODES.http,
          msg: `HTTP ${res.statusCode}`,
          kind: sentKind,
          status: res.statusCode,
        });
        // A gateway 5xx may come after the upstream applied a create: never repeat it.
        if (!req.idempotent) throw err;
        lastError = err;
        continue;
      }
      return { status: res.statusCode, text: res.text, baseUrl: base };
    }
    throw lastError ?? new Error('unreachable: no endpoint tried');
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** One request; its headers are awaited `headersTimeout` ms at most, their wait is a latency sample. */
  private async exchange(
    url: string,
    req: TransportRequest,
    body: string | undefined,
    headersTimeout: number,
  ): Promise<{ statusCode: number; text: string }> {
    const started = performance.now();
    const answer = await request(url, {
      method: req.method,
      dispatcher: this.agent,
      headers: {
        ...req.headers(),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json;charset=UTF-8' }),
      },
      body,
      headersTimeout,
      bodyTimeout: this.bodyTimeout,
      signal: req.signal,
    });
    // a gateway's 5xx says nothing of the provider's own latency
    if (answer.statusCode < 500) this.track(req.endpoint, (w, now) => w.answered(now - started, now));
    return { statusCode: answer.statusCode, text: await answer.body.text() };
  }

  /** The wait for headers a request of this endpoint gets now. Latencies are in monotonic time. */
  private budget(endpoint: string): Budget {
    return this.track(endpoint, () => {});
  }

  /** Changes an endpoint's window and reports its budget when it moved (or is new). */
  private track(endpoint: string, change: (window: LatencyBudget, now: number) => void): Budget {
    let entry = this.budgets.get(endpoint);
    if (!entry) {
      entry = { window: new LatencyBudget(this.headersTimeout) };
      this.budgets.set(endpoint, entry);
    }
    const now = performance.now();
    change(entry.window, now);
    const budget = entry.window.budget(now);
    if (budget.ms !== entry.reported) {
      entry.reported = budget.ms;
      this.onTimeoutBudget?.(endpoint, budget.ms);
    }
    return budget;
  }
}

/** The message of a failure after sending: a headers timeout says how long and why that long. */
function sentFailure(code: string, limit: Budget): string {
  if (code !== HEADERS_TIMEOUT) return `${code} after the request was sent`;
  return `timeout after ${limit.ms} ms (${describeBudget(limit)}) waiting for the answer; the request was sent`;
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return '';
}
