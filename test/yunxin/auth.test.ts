import { describe, expect, it } from 'vitest';
import { authHeaders, checkSum, newTraceId } from '../../src/yunxin/auth.js';

describe('CheckSum', () => {
  it('matches a vector computed outside the code: printf secretnonce1700000000 | sha1sum', () => {
    // $ printf 'secretnonce1700000000' | sha1sum
    // c0b87c883bf8a70941d7e81c14cc7c7e7ccd3ba2  -
    expect(checkSum('secret', 'nonce', '1700000000')).toBe('c0b87c883bf8a70941d7e81c14cc7c7e7ccd3ba2');
  });

  it('builds the four auth headers with CurTime in seconds and a fresh nonce each time', () => {
    const a = authHeaders({ appKey: 'k', appSecret: 's' }, 1_700_000_000_999);
    const b = authHeaders({ appKey: 'k', appSecret: 's' }, 1_700_000_000_999);
    expect(a.AppKey).toBe('k');
    expect(a.CurTime).toBe('1700000000');
    expect(a.Nonce).not.toBe(b.Nonce);
    expect(a.Nonce!.length).toBeLessThanOrEqual(128);
    expect(a.CheckSum).toBe(checkSum('s', a.Nonce!, '1700000000'));
    expect(a.CheckSum).toMatch(/^[0-9a-f]{40}$/);
  });

  it('trace ids are 32 hex chars and unique', () => {
    expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newTraceId()).not.toBe(newTraceId());
  });
});
