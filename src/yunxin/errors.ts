import { classifyCode, type ErrorKind } from './error-codes.js';

/**
 * A call Yunxin refused or that did not complete. Carries what an operator needs (code, msg,
 * endpoint, trace id) and what a caller needs (kind). It never holds request headers, so the
 * AppSecret-derived CheckSum cannot leak through logs of thrown errors.
 */
export class YunxinError extends Error {
  override readonly name = 'YunxinError';
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

  constructor(init: {
    code: number;
    msg: string;
    endpoint: string;
    traceId: string;
    kind?: ErrorKind;
    httpStatus?: number;
    baseUrl?: string;
    cause?: unknown;
  }) {
    super(`${init.endpoint}: code ${init.code} ${init.msg} (trace ${init.traceId})`, {
      cause: init.cause === undefined ? undefined : summariseCause(init.cause),
    });
    this.code = init.code;
    this.msg = init.msg;
    this.endpoint = init.endpoint;
    this.traceId = init.traceId;
    this.kind = init.kind ?? classifyCode(init.code);
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

/** Pseudo-codes for failures that never reached a Yunxin business code. */
export const TRANSPORT_CODES = {
  network: -1,
  timeout: -2,
  http: -3,
  badResponse: -4,
} as const;

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
