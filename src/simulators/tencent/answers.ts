import { randomUUID } from 'node:crypto';
import { SUCCESS_CODE } from '../../tencent/error-codes.js';

/**
 * A Tencent REST answer: the command's fields next to ActionStatus / ErrorCode / ErrorInfo,
 * always with HTTP 200 (provider-apis.md §B1).
 */
export interface TencentAnswer {
  code: number;
  info: string;
  data: Record<string, unknown>;
}

export const ok = (data: Record<string, unknown> = {}): TencentAnswer => ({
  code: SUCCESS_CODE,
  info: '',
  data,
});
export const fail = (code: number, info: string): TencentAnswer => ({ code, info, data: {} });

export function stringifyAnswer(answer: TencentAnswer): string {
  return JSON.stringify({
    ...answer.data,
    ActionStatus: answer.code === SUCCESS_CODE ? 'OK' : 'FAIL',
    ErrorCode: answer.code,
    ErrorInfo: answer.info,
    ErrorDisplay: '',
    RequestId: randomUUID(),
  });
}
