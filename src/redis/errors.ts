import { CENSOR, redactUrlCredentials } from '../redact.js';

/** Where a connection, queue or worker reports its errors. */
export type ErrorSink = (error: Error) => void;

/**
 * Redis refused the credentials: WRONGPASS (Redis ≥ 6, ACL), NOAUTH (a password is required but
 * none was sent), "invalid password" (Redis < 6).
 */
export function isRedisAuthError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i.test(error.message);
}

/** What an operator should read for a Redis error: the cause first when it is the credentials. */
export function describeRedisError(error: Error): string {
  const message = redactUrlCredentials(error.message);
  return isRedisAuthError(error)
    ? `Redis refused authentication: check the user and password in REDIS_URL (${message})`
    : message;
}

/**
 * Censors, in place, what a Redis error carries of its command (`HELLO 3 AUTH default
 * <password>`), also in the errors it wraps, before it is handed to code we do not control (a
 * library caller's onError or catch). Returns the same error.
 */
export function redactRedisError<T>(error: T, seen = new WeakSet<object>()): T {
  if (typeof error !== 'object' || error === null || seen.has(error)) return error;
  seen.add(error);
  const e = error as Record<string, unknown>;
  const command = e['command'];
  if (typeof command === 'object' && command !== null && 'args' in command) {
    (command as { args: unknown }).args = [CENSOR];
  }
  if ('args' in e) e['args'] = [CENSOR];
  if (error instanceof Error) {
    error.message = redactUrlCredentials(error.message);
    if (error.stack) error.stack = redactUrlCredentials(error.stack);
  }
  for (const key of ['previousErrors', 'errors', 'lastNodeError', 'cause']) {
    const inner = e[key];
    if (Array.isArray(inner)) for (const item of inner) redactRedisError(item, seen);
    else redactRedisError(inner, seen);
  }
  return error;
}
