/**
 * The credential comparison is constant-time by design (no timing measured): `secretEquals`
 * hashes both sides and compares the two 32-byte digests with `timingSafeEqual`, whatever the
 * lengths, and basic auth always evaluates both the user and the password comparison. And the
 * logger censors what a failed Redis command carries (a refused HELLO/AUTH holds the password),
 * wherever in an error it sits, and URL credentials; its error sink throttles per message.
 * Real processes given a wrong Redis password or losing Redis: ./security.test.ts.
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
const { createLogger, errorSink, ERROR_REPEAT_MS } = await import('../../src/log.js');
const { redactRedisError } = await import('../../src/redis/errors.js');
const { inspect } = await import('node:util');

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

/** A logger at trace level whose lines are kept. */
function captured() {
  const lines: string[] = [];
  const log = createLogger(
    { level: 'trace' },
    new Writable({
      write(chunk, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { log, text: () => lines.join(''), lines };
}

const PASSWORD = 'redis-password-6f1c';
/** An ioredis reply error as a refused HELLO leaves it. */
const refusedHello = () =>
  Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
    command: { name: 'hello', args: ['3', 'AUTH', 'default', PASSWORD] },
  });

describe('log redaction', () => {
  it('censors the arguments of a failed Redis command (HELLO/AUTH carries the password)', () => {
    const { log, text } = captured();
    let out = '';
    const error = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'default', 'redis-password-6f1c'] },
    });
    log.warn({ err: error, source: 'redis' }, 'redis: WRONGPASS');
    log.error({ wrapped: { err: error } }, 'nested');
    log.error(error, 'as the object itself');
    out = text();
    expect(out).toContain('"name":"hello"');
    expect(out).not.toContain('redis-password-6f1c');
  });

  it('censors `args`, the errors a MULTI or a cluster wraps, and URL credentials, anywhere in an error', () => {
    const { log, text } = captured();
    const url = `redis://default:${PASSWORD}@redis.internal:6379/0`;
    const multi = Object.assign(new Error('EXECABORT Transaction discarded'), {
      previousErrors: [refusedHello(), Object.assign(new Error('x'), { args: ['AUTH', PASSWORD] })],
    });
    const cluster = Object.assign(new Error('Failed to refresh slots cache.'), {
      lastNodeError: refusedHello(),
    });
    const withUrl = new Error(`connect ETIMEDOUT ${url}`, { cause: new Error(`via ${url}`) });
    const inputUrl = Object.assign(new TypeError('Invalid URL'), { input: url });
    const bare = Object.assign(new Error('ERR'), { args: ['3', 'AUTH', 'default', PASSWORD] });
    for (const err of [multi, cluster, withUrl, inputUrl, bare, refusedHello()]) {
      log.warn({ err }, 'redis failed');
      log.warn(err);
      log.error({ err, source: 'redis' }, `redis: ${err.message}`);
    }
    log.info(`connecting to ${url}`);
    const out = text();
    expect(out).not.toContain(PASSWORD);
    expect(out).toContain('redis.internal:6379'); // the host is kept
    expect(out).toContain('"args":"[redacted]"');
    expect(out).toContain('previousErrors');
    expect(out).toContain('lastNodeError');
  });

  it('errorSink: one line per message per ERROR_REPEAT_MS for the whole process, then the repeats counted', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { log, lines } = captured();
      const refused = () =>
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { syscall: 'connect' });
      const sinks = ['redis', 'queue events', 'worker reconcile'].map((what) => errorSink(log, what));
      for (let i = 0; i < 50; i += 1) for (const sink of sinks) sink(refused());
      expect(lines).toHaveLength(1);
      sinks[0]!(refusedHello()); // another message: its own line, saying what to do
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[1]!).msg).toMatch(
        /^redis: Redis refused authentication: check the user and password in REDIS_URL/,
      );
      vi.setSystemTime(Date.now() + ERROR_REPEAT_MS);
      sinks[2]!(refused());
      expect(lines).toHaveLength(3);
      expect(JSON.parse(lines[2]!)).toMatchObject({ source: 'worker reconcile', repeatsNotLogged: 149 });
      expect(lines.join('')).not.toContain(PASSWORD);
    } finally {
      vi.useRealTimers();
    }
  });

  it('redactRedisError censors, in place, what a library caller would get', () => {
    const multi = Object.assign(new Error('EXECABORT'), { previousErrors: [refusedHello()] });
    const error = Object.assign(refusedHello(), { cause: multi });
    expect(redactRedisError(error)).toBe(error);
    expect(inspect(error, { depth: 10 })).not.toContain(PASSWORD);
    expect(JSON.stringify(error)).not.toContain(PASSWORD);
    expect(error.command.name).toBe('hello');
  });
});
