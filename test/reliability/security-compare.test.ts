/**
 * The credential comparison is constant-time by design (no timing measured): `secretEquals`
 * hashes both sides and compares the two 32-byte digests with `timingSafeEqual`, whatever the
 * lengths, and basic auth always evaluates both the user and the password comparison. And the
 * logger censors what a failed Redis command carries (a refused HELLO/AUTH holds the password).
 */
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, createHash: vi.fn(real.createHash), timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const crypto = await import('node:crypto');
const { requireAuth } = await import('../../src/http/auth.js');
const { secretEquals } = await import('../../src/secret-equals.js');
const { createLogger } = await import('../../src/log.js');

const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);
const createHash = vi.mocked(crypto.createHash);

beforeEach(() => {
  timingSafeEqual.mockClear();
  createHash.mockClear();
});

describe('constant-time credential comparison, by design', () => {
  const expected = 'the-configured-secret-0123456789';

  it.each([0, 1, 31, 32, 33, expected.length, 1000, 100_000])(
    'secretEquals on a %i-character input: both sides hashed, one compare of two 32-byte digests',
    (length) => {
      const given = 'x'.repeat(length);
      expect(secretEquals(given, expected)).toBe(false);
      expect(createHash).toHaveBeenCalledTimes(2);
      expect(createHash.mock.calls.map((c) => c[0])).toEqual(['sha256', 'sha256']);
      expect(timingSafeEqual).toHaveBeenCalledTimes(1);
      const [a, b] = timingSafeEqual.mock.calls[0]! as unknown as [Buffer, Buffer];
      expect([a.length, b.length]).toEqual([32, 32]);
    },
  );

  it('secretEquals is true only for the exact secret', () => {
    expect(secretEquals(expected, expected)).toBe(true);
    expect(secretEquals(`${expected} `, expected)).toBe(false);
    expect(secretEquals(expected.slice(0, -1), expected)).toBe(false);
  });

  const app = new Hono()
    .use(
      '*',
      requireAuth({
        user: 'admin',
        password: 'dashboard-password',
        token: 'a-token-of-16-chars',
        realm: 'r',
      }),
    )
    .get('/', (c) => c.text('ok'));
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it.each([
    ['a wrong user', basic('root', 'dashboard-password'), 401],
    ['a wrong password', basic('admin', 'dashboard-passwore'), 401],
    ['both wrong', basic('x', 'y'), 401],
    ['both right', basic('admin', 'dashboard-password'), 200],
  ])(
    'basic auth with %s compares the user and the password (no early exit)',
    async (_, authorization, code) => {
      const res = await app.request('/', { headers: { authorization } });
      expect(res.status).toBe(code);
      expect(timingSafeEqual).toHaveBeenCalledTimes(2);
    },
  );

  it('a bearer token is compared once, through the hash, whatever its length', async () => {
    for (const token of ['a', 'a-token-of-16-charz', 'a-token-of-16-chars-and-more', 'x'.repeat(10_000)]) {
      timingSafeEqual.mockClear();
      const res = await app.request('/', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      // the token compare, then (no basic header) nothing else
      expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    }
  });
});

describe('log redaction', () => {
  it('censors the arguments of a failed Redis command (HELLO/AUTH carries the password)', () => {
    let out = '';
    const log = createLogger(
      { level: 'trace' },
      new Writable({
        write(chunk, _e, done) {
          out += chunk.toString();
          done();
        },
      }),
    );
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'default', 'redis-password-6f1c'] },
    });
    log.warn({ err: error, source: 'redis' }, 'redis: WRONGPASS');
    log.error({ wrapped: { err: error } }, 'nested');
    log.error(error, 'as the object itself');
    expect(out).toContain('"name":"hello"');
    expect(out).not.toContain('redis-password-6f1c');
  });
});
