import { checkUserSig, type UserSigProblem } from '../../tencent/usersig.js';
import { fail, type TencentAnswer } from './answers.js';

/** An app the simulator serves: its SDKAppID, the key UserSigs are signed with, its admin. */
export interface TencentApp {
  sdkappid: number;
  secretKey: string;
  admin: string;
}

const SIG_CODES: Record<UserSigProblem, [number, string]> = {
  malformed: [70003, 'illegal UserSig'],
  expired: [70001, 'UserSig expired'],
  bad_signature: [70009, 'UserSig verification failed'],
  identifier_mismatch: [70013, 'identifier differs from the UserSig'],
  sdkappid_mismatch: [70014, 'sdkappid differs from the UserSig'],
};

/**
 * The URL parameters every REST call carries (provider-apis.md §B1), checked as Tencent does:
 * the SDKAppID, a UserSig valid for `identifier` and signed with the app's key, and an
 * `identifier` that is the app admin.
 */
export function authenticate(
  query: URLSearchParams,
  apps: ReadonlyMap<number, TencentApp>,
  nowMs: number,
): TencentAnswer | undefined {
  const sdkappid = query.get('sdkappid');
  if (!sdkappid) return fail(60012, 'SDKAppID missing');
  const app = /^\d+$/.test(sdkappid) ? apps.get(Number(sdkappid)) : undefined;
  if (!app) return fail(60006, 'invalid SDKAppID');
  const random = query.get('random');
  if (query.get('contenttype') !== 'json' || !random || !/^\d+$/.test(random) || Number(random) >= 2 ** 32) {
    return fail(60025, 'bad URL parameters: random (uint32) and contenttype=json are required');
  }
  const identifier = query.get('identifier');
  if (!identifier) return fail(60025, 'bad URL parameters: identifier is required');
  const userSig = query.get('usersig');
  if (!userSig) return fail(70003, 'illegal UserSig: usersig is required');
  const problem = checkUserSig(userSig, { sdkappid: app.sdkappid, key: app.secretKey, identifier }, nowMs);
  if (problem) return fail(...SIG_CODES[problem]);
  if (identifier !== app.admin) return fail(60010, 'the request requires App admin permissions');
  return undefined;
}
