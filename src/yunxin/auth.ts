import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * Yunxin request signing (provider-apis.md §A2): CheckSum = lowercase hex
 * SHA-1(AppSecret + Nonce + CurTime), CurTime in Unix seconds, valid for 5 minutes.
 */
export function checkSum(appSecret: string, nonce: string, curTime: string): string {
  return createHash('sha1')
    .update(appSecret + nonce + curTime)
    .digest('hex');
}

export interface Credentials {
  appKey: string;
  appSecret: string;
}

export function authHeaders(
  creds: Credentials,
  nowMs: number,
  nonce: string = randomBytes(16).toString('hex'),
): Record<string, string> {
  const curTime = String(Math.floor(nowMs / 1000));
  return {
    AppKey: creds.appKey,
    Nonce: nonce,
    CurTime: curTime,
    CheckSum: checkSum(creds.appSecret, nonce, curTime),
  };
}

/** 32 hex chars, like the official SDKs' trace ids. */
export function newTraceId(): string {
  return randomUUID().replaceAll('-', '');
}
