import { ProviderCallError, type ProviderCallErrorInit } from '../provider/errors.js';
import { classifyCode } from './error-codes.js';

/**
 * A call Tencent refused or that did not complete; `kind` comes from src/tencent/error-codes.ts.
 * `traceId` is the request's `random` (it is in the URL both sides log); `requestId` is
 * Tencent's RequestId when the answer carried one. Never holds the URL: it has the UserSig.
 */
export class TencentError extends ProviderCallError {
  override readonly name = 'TencentError';
  readonly requestId: string | undefined;

  constructor(init: ProviderCallErrorInit & { requestId?: string }) {
    super(init, classifyCode);
    this.requestId = init.requestId;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), requestId: this.requestId };
  }
}
