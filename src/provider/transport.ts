import { Agent, request } from 'undici';
import { type ProviderCallError, type ProviderCallErrorInit, TRANSPORT_CODES } from './errors.js';

export interface TransportOptions {
  /** base URLs in order of preference: primary first, then backups */
  endpoints: readonly string[];
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
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
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ABORT_ERR']);

/**
 * HTTP with keep-alive, timeouts and fail-over across a provider's primary/backup hosts.
 * Fail-over happens on connection errors and HTTP 5xx only; business errors come back with
 * HTTP 200 (both providers) and are the client's to read. A non-idempotent call (a create) is
 * never repeated once it may have been sent: it fails with kind `ambiguous` instead.
 */
export class Transport {
  private readonly agent: Agent;
  private readonly endpoints: string[];
  private readonly demotedUntil = new Map<string, number>();
  private readonly now: () => number;
  private readonly demoteForMs: number;
  private readonly headersTimeout: number;
  private readonly bodyTimeout: number;

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
        const answer = await request(`${base}${req.path}${qs}`, {
          method: req.method,
          dispatcher: this.agent,
          headers: {
            ...req.headers(),
            ...(body === undefined ? {} : { 'Content-Type': 'application/json;charset=UTF-8' }),
          },
          body,
          headersTimeout: this.headersTimeout,
          bodyTimeout: this.bodyTimeout,
          signal: req.signal,
        });
        res = { statusCode: answer.statusCode, text: await answer.body.text() };
      } catch (error) {
        const code = errorCode(error);
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
            msg: `${code || (error as Error).name} after the request was sent`,
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
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return '';
}
