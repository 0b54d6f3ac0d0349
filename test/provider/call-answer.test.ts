import { describe, expect, it } from 'vitest';
import { answerOf, CALL_OUTCOMES, TRANSPORT_CODES } from '../../src/provider/errors.js';
import { ERROR_CODES as TENCENT_CODES } from '../../src/tencent/error-codes.js';
import { TencentError } from '../../src/tencent/errors.js';
import { ERROR_CODES as YUNXIN_CODES } from '../../src/yunxin/error-codes.js';
import { YunxinError } from '../../src/yunxin/errors.js';

const init = (code: number) => ({ code, msg: 'm', endpoint: 'e', traceId: 't' });

describe('the answer a failed provider call reports (the metrics labels)', () => {
  it.each([
    ['Yunxin', YUNXIN_CODES, (code: number) => new YunxinError(init(code))],
    ['Tencent', TENCENT_CODES, (code: number) => new TencentError(init(code))],
  ] as const)(
    "%s: its own code, rate_limited exactly when the code table's kind says so",
    (_, table, make) => {
      for (const [code, { kind }] of Object.entries(table)) {
        expect(answerOf(make(Number(code))), code).toEqual({
          code: Number(code),
          outcome: kind === 'rate_limited' ? 'rate_limited' : 'provider_error',
        });
      }
      expect(answerOf(make(987_654)).outcome, 'an unknown code').toBe('provider_error');
    },
  );

  it('a transport failure has no code and an outcome of its own, one per pseudo-code', () => {
    const outcomes = Object.values(TRANSPORT_CODES).map((code) => {
      const answer = answerOf(new YunxinError({ ...init(code), kind: 'transient' }));
      expect(answer.code, String(code)).toBeUndefined();
      return answer.outcome;
    });
    expect(new Set(outcomes).size).toBe(outcomes.length);
    for (const outcome of outcomes) {
      expect(['ok', 'rate_limited', 'provider_error']).not.toContain(outcome);
      expect(CALL_OUTCOMES).toContain(outcome);
    }
  });
});
