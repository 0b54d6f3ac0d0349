import { ProviderCallError, type ProviderCallErrorInit } from '../provider/errors.js';
import { classifyCode } from './error-codes.js';

export { InvalidRequestError, TRANSPORT_CODES } from '../provider/errors.js';

/**
 * A call Yunxin refused or that did not complete; `kind` comes from src/yunxin/error-codes.ts.
 * It never holds request headers, so the AppSecret-derived CheckSum cannot leak through logs.
 */
export class YunxinError extends ProviderCallError {
  override readonly name = 'YunxinError';

  constructor(init: ProviderCallErrorInit) {
    super(init, classifyCode);
  }
}
