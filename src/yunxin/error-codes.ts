import type { ErrorKind } from '../provider/errors.js';

export type { ErrorKind };

export const SUCCESS_CODE = 200;
export const RATE_LIMIT_CODE = 416;

/**
 * The one table that says what each Yunxin code means for a caller (kinds: src/provider/errors.ts).
 * Sources: ../shared/reference/provider-apis.md §A8 (416 = rate limit with a blocking period),
 * §A9 (V2NIMErrorCode enum in netease-im/node-nim; legacy status table; UIKit group error toasts).
 */
export const ERROR_CODES: Readonly<
  Record<number, { kind: Exclude<ErrorKind, 'ambiguous'>; meaning: string }>
> = {
  398: { kind: 'transient', meaning: 'request temporarily forbidden' },
  399: { kind: 'transient', meaning: 'request needs retry (V2NIMErrorCode)' },
  403: { kind: 'permanent', meaning: 'forbidden / no permission' },
  404: { kind: 'permanent', meaning: 'not found' },
  414: { kind: 'permanent', meaning: 'parameter error (also CheckSum/CurTime failure)' },
  416: { kind: 'rate_limited', meaning: 'call frequency over the limit; calls are blocked for a while' },
  // V2NIMErrorCode: MULTI_LOGIN_FORBIDDEN. The old "repeat operation" reading is not
  // documented for conversation groups: an item refused with 417 is a refusal, never a success.
  417: { kind: 'permanent', meaning: 'refused (MULTI_LOGIN_FORBIDDEN)' },
  419: { kind: 'permanent', meaning: 'quantity over the limit' },
  449: { kind: 'transient', meaning: 'request needs retry' },
  500: { kind: 'transient', meaning: 'server internal error' },
  503: { kind: 'transient', meaning: 'server busy' },
  514: { kind: 'transient', meaning: 'service unavailable' },
  599: { kind: 'permanent', meaning: 'unknown server error (V2NIMErrorCode), not worth retrying' },
  101301: { kind: 'permanent', meaning: 'IM disabled' },
  101303: { kind: 'permanent', meaning: 'appkey does not exist' },
  102404: { kind: 'permanent', meaning: 'account does not exist' },
  102449: { kind: 'transient', meaning: 'account operation needs retry' },
  110301: { kind: 'permanent', meaning: 'conversations belong to more than one account' },
  110302: { kind: 'permanent', meaning: 'conversation and account do not match' },
  110303: { kind: 'permanent', meaning: 'stick-top conversation limit' },
  110304: { kind: 'permanent', meaning: 'conversation already in the maximum number of groups' },
  110404: { kind: 'permanent', meaning: 'conversation does not exist' },
  110449: { kind: 'transient', meaning: 'conversation operation needs retry' },
  116404: { kind: 'permanent', meaning: 'conversation group does not exist' },
  116435: { kind: 'permanent', meaning: 'conversation group count over the limit' },
  116437: { kind: 'permanent', meaning: 'conversations in group over the limit' },
};

/** Codes that say the app is misconfigured (AppKey, IM service): surfaced loudly. */
export const CONFIGURATION_CODES: ReadonlySet<number> = new Set([101301, 101303]);

/**
 * Unknown codes: `x449` ("need retry" in every resource) and 5xx are transient; anything else
 * is permanent, so an unknown refusal is recorded and looked at rather than retried forever.
 */
export function classifyCode(code: number): Exclude<ErrorKind, 'ambiguous'> {
  const known = ERROR_CODES[code];
  if (known) return known.kind;
  if (code % 1000 === 449) return 'transient';
  if (code >= 500 && code < 600) return 'transient';
  return 'permanent';
}
