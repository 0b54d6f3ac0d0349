import type { ErrorKind } from '../provider/errors.js';

export const SUCCESS_CODE = 0;
/** What the simulator answers for a rate limit: "REST API call frequency exceeds the limit". */
export const RATE_LIMIT_CODE = 60007;

/**
 * The one table that says what each Tencent code means for a caller (kinds: src/provider/errors.ts).
 * Sources: ../shared/reference/provider-apis.md §B4 (T-ERR "Error codes for recent contacts" and
 * "Common backend error codes"; the CallKit REST page for 60019) and the create page of the seed
 * document (51006-51013). Rate limits come in a body with HTTP 200, never as HTTP 429.
 */
export const ERROR_CODES: Readonly<
  Record<number, { kind: Exclude<ErrorKind, 'ambiguous'>; meaning: string }>
> = {
  50001: { kind: 'permanent', meaning: 'From_Account not imported' },
  50002: { kind: 'permanent', meaning: 'illegal request parameters' },
  50003: { kind: 'permanent', meaning: 'requires App admin' },
  50004: { kind: 'transient', meaning: 'internal server error, retry' },
  50005: { kind: 'transient', meaning: 'server internal timeout, retry' },
  51006: { kind: 'permanent', meaning: 'conversations per update empty or over 100' },
  51007: {
    kind: 'permanent',
    meaning: 'group conversation permission check failed (left or disbanded group)',
  },
  51008: { kind: 'permanent', meaning: 'grouped or marked conversations over 1000' },
  51009: { kind: 'permanent', meaning: 'conversation group does not exist' },
  51010: { kind: 'permanent', meaning: 'conversation groups over 20' },
  51011: { kind: 'permanent', meaning: 'group name over 32 bytes' },
  51012: { kind: 'permanent', meaning: 'pinned conversations over the limit' },
  51013: {
    kind: 'permanent',
    meaning: 'edition without conversation groups (needs Pro / Pro Plus / Enterprise)',
  },
  60002: { kind: 'permanent', meaning: 'HTTP parse error' },
  60003: { kind: 'permanent', meaning: 'JSON parse error' },
  // the common-code table (provider-apis.md §B4): a configuration error, no retry fixes it
  60004: { kind: 'permanent', meaning: 'account or signature check failed (configuration)' },
  60005: { kind: 'permanent', meaning: 'account or signature check failed (configuration)' },
  60006: { kind: 'permanent', meaning: 'invalid SDKAppID' },
  60007: { kind: 'rate_limited', meaning: 'REST API call frequency over the limit' },
  60008: { kind: 'transient', meaning: 'service request timeout or bad HTTP format, retry' },
  60009: { kind: 'permanent', meaning: 'request resource error (bad URL)' },
  60010: { kind: 'permanent', meaning: 'requires App admin' },
  60011: { kind: 'rate_limited', meaning: 'SDKAppID request frequency over the limit' },
  60012: { kind: 'permanent', meaning: 'SDKAppID missing' },
  60013: { kind: 'permanent', meaning: 'response JSON parse error' },
  60014: { kind: 'transient', meaning: 'account check timeout' },
  60015: { kind: 'permanent', meaning: 'UserID type error (must be a string)' },
  60016: { kind: 'permanent', meaning: 'SDKAppID disabled' },
  60017: { kind: 'permanent', meaning: 'request disabled' },
  60018: { kind: 'rate_limited', meaning: 'requests too frequent, retry later' },
  60019: { kind: 'rate_limited', meaning: 'requests too frequent, retry later' },
  60020: { kind: 'permanent', meaning: 'service unavailable (package expired or in arrears)' },
  60021: { kind: 'permanent', meaning: 'caller IP not allowed' },
  60025: { kind: 'permanent', meaning: 'bad URL parameters' },
  60026: { kind: 'permanent', meaning: 'domain does not match the SDKAppID region' },
  70001: { kind: 'permanent', meaning: 'UserSig expired' },
  70003: { kind: 'permanent', meaning: 'illegal UserSig' },
  70009: { kind: 'permanent', meaning: 'UserSig verification failed (wrong key)' },
  70013: { kind: 'permanent', meaning: 'UserID differs from the one in the UserSig' },
  70014: { kind: 'permanent', meaning: 'SDKAppID differs from the one in the UserSig' },
  70050: {
    kind: 'permanent',
    meaning: 'UserSig verification failed and the failure rate is over the limit: the signature is bad',
  },
  70107: { kind: 'permanent', meaning: 'account not imported' },
};

/**
 * Codes that say the app is misconfigured (SDKAppID, admin account, key): every call will fail
 * the same way until an operator fixes it, so they are surfaced loudly (metric, /readyz, log).
 */
export const CONFIGURATION_CODES: ReadonlySet<number> = new Set([
  60004, 60005, 60006, 60012, 60016, 70003, 70009, 70013, 70014, 70050,
]);

/** UserSig expired: the cached signature is dropped and the call made once more. */
export const USERSIG_EXPIRED = 70001;

/** Unknown codes are permanent: an unknown refusal is recorded and looked at, not retried forever. */
export function classifyCode(code: number): Exclude<ErrorKind, 'ambiguous'> {
  return ERROR_CODES[code]?.kind ?? 'permanent';
}
