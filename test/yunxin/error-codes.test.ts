import { describe, expect, it } from 'vitest';
import { classifyCode } from '../../src/yunxin/error-codes.js';

describe('Yunxin codes (provider-apis.md §A9)', () => {
  it('417 is MULTI_LOGIN_FORBIDDEN: a refusal, never a success', () => {
    expect(classifyCode(417)).toBe('permanent');
  });

  it('399 is worth a retry, 599 is not', () => {
    expect(classifyCode(399)).toBe('transient');
    expect(classifyCode(599)).toBe('permanent');
    // the other 5xx stay transient, as unknown x449 codes do
    expect(classifyCode(598)).toBe('transient');
    expect(classifyCode(120449)).toBe('transient');
  });
});
