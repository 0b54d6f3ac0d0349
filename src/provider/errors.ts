/**
 * What every provider's errors have in common. Each provider has its own code table
 * (src/yunxin/error-codes.ts, src/tencent/error-codes.ts) that maps its codes to a kind.
 *
 * - rate_limited: back off the whole app, then continue; never an item failure.
 * - transient: retry later with backoff (the same request can succeed).
 * - permanent: retrying the same request cannot succeed until something changes.
 * - ambiguous: not a code; a create that may have been applied but whose answer was lost.
 */
export type ErrorKind = 'rate_limited' | 'transient' | 'permanent' | 'ambiguous';

/** Pseudo-codes for failures that never reached a provider's business code. */
export const TRANSPORT_CODES = {
  network: -1,
  timeout: -2,
  http: -3,
  badResponse: -4,
} as const;

/** How each transport failure is reported (the `outcome` of a call): a pseudo-code is never shown. */
const TRANSPORT_OUTCOMES = {
  network: 'network',
  timeout: 'timeout',
  http: 'http_error',
  badResponse: 'bad_response',
} as const satisfies Record<keyof typeof TRANSPORT_CODES, string>;

/**
 * How a provider call ended, a bounded set: ok, rate_limited (a rate-limited kind of code),
 * provider_error (any other code the provider answered), or how the transport failed.
 */
export const CALL_OUTCOMES = [
  'ok',
  'rate_limited',
  'provider_error',
  ...Object.values(TRANSPORT_OUTCOMES),
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** A call's answer as reported: the provider's own code (none when the transport failed) and the outcome. */
export interface CallAnswer {
  code: number | undefined;
  outcome: CallOutcome;
}

const transportOutcome = new Map<number, CallOutcome>(
  Object.entries(TRANSPORT_CODES).map(([name, code]) => [
    code,
    TRANSPORT_OUTCOMES[name as keyof typeof TRANSPORT_CODES],
  ]),
);

/** The answer a failed call reports: its kind, from the provider's code table, decides rate_limited. */
export function answerOf(error: ProviderCallError): CallAnswer {
  const transport = transportOutcome.get(error.code);
  if (transport) return { code: undefined, outcome: transport };
  return { code: error.code, outcome: error.kind === 'rate_limited' ? 'rate_limited' : 'provider_error' };
}

export interface ProviderCallErrorInit {
  code: number;
  msg: string;
  endpoint: string;
  traceId: string;
  kind?: ErrorKind;
  httpStatus?: number;
  baseUrl?: string;
  cause?: unknown;
}

/**
 * A call a provider refused or that did not complete. Carries what an operator needs (code,
 * msg, endpoint, trace id) and what a caller needs (kind). It never holds request headers or
 * URLs, so signatures derived from a secret cannot leak through logs of thrown errors.
 */
export abstract class ProviderCallError extends Error {
  readonly code: number;
  readonly msg: string;
  /** "PATCH /im/v2/conversation_groups/{group_id}" */
  readonly endpoint: string;
  readonly traceId: string;
  readonly kind: ErrorKind;
  /** set when the failure was at the HTTP layer rather than a business code */
  readonly httpStatus: number | undefined;
  /** base URL that answered (or failed), for fail-over diagnostics */
  readonly baseUrl: string | undefined;

  constructor(init: ProviderCallErrorInit, classify: (code: number) => ErrorKind) {
    super(`${init.endpoint}: code ${init.code} ${init.msg} (trace ${init.traceId})`, {
      cause: init.cause === undefined ? undefined : summariseCause(init.cause),
    });
    this.code = init.code;
    this.msg = init.msg;
    this.endpoint = init.endpoint;
    this.traceId = init.traceId;
    this.kind = init.kind ?? classify(init.code);
    this.httpStatus = init.httpStatus;
    this.baseUrl = init.baseUrl;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      msg: this.msg,
      endpoint: this.endpoint,
      traceId: this.traceId,
      kind: this.kind,
      httpStatus: this.httpStatus,
      baseUrl: this.baseUrl,
    };
  }
}

/** Refused locally: the request was never sent. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Keep only name/code/message of an underlying error: library errors can carry request options. */
function summariseCause(cause: unknown): Error {
  if (cause instanceof Error) {
    const e = new Error(cause.message);
    e.name = cause.name;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') (e as Error & { code: string }).code = code;
    return e;
  }
  return new Error(String(cause));
}
