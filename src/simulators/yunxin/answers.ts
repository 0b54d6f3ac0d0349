/** The {code, msg, data} envelope every Yunxin v2 endpoint answers with (HTTP 200 even on errors). */
export interface Answer {
  code: number;
  msg: string;
  data: unknown;
}

export const ok = (data: unknown = {}): Answer => ({ code: 200, msg: 'success', data });
export const fail = (code: number, msg: string): Answer => ({ code, msg, data: {} });

/** Serialises bigint group ids as bare JSON integers (int64 on the wire). */
export function stringifyAnswer(answer: Answer): string {
  return JSON.stringify(answer, (_, v) => (typeof v === 'bigint' ? `__int64__${v}` : v)).replace(
    /"__int64__(\d+)"/g,
    '$1',
  );
}
