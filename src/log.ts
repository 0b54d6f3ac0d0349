import pino, { type DestinationStream, type Logger } from 'pino';
import { CENSOR, redactUrlCredentials } from './redact.js';
import { describeRedisError, type ErrorSink } from './redis/errors.js';
import { traceLogFields } from './telemetry/api.js';

/**
 * Paths pino censors in every log line. Secrets also never enter log objects in the first
 * place (the client never logs headers); this is the second line of defence.
 */
export const REDACT_PATHS = [
  'appSecret',
  '*.appSecret',
  'PROVIDER_SECRET',
  '*.PROVIDER_SECRET',
  // their deprecated names, still read (src/config.ts DEPRECATED_NAMES)
  'YUNXIN_APP_SECRET',
  '*.YUNXIN_APP_SECRET',
  'TENCENT_SECRET_KEY',
  '*.TENCENT_SECRET_KEY',
  'secretKey',
  '*.secretKey',
  'usersig',
  '*.usersig',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.CheckSum',
  '*.headers.CheckSum',
  'headers.authorization',
  '*.headers.authorization',
  'REDIS_URL',
  '*.REDIS_URL',
  // ioredis errors carry the failed command: a refused HELLO/AUTH holds the Redis password
  'command.args',
  '*.command.args',
  '*.*.command.args',
];

/** Deep enough for an error's causes and a MULTI's previousErrors, bounded against odd objects. */
const MAX_ERROR_DEPTH = 6;

/**
 * A serialized error with nothing secret left: every `args` (a failed Redis command's arguments,
 * `HELLO 3 AUTH default <password>` included, also inside `previousErrors`, `lastNodeError`,
 * `cause`…) is censored and URL credentials are cut from every string (message, stack, input).
 */
function scrubError(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (!isWalked(value)) return value;
  if (depth > MAX_ERROR_DEPTH || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubError(item, depth + 1, seen));
  const plain: object = value instanceof Error ? pino.stdSerializers.err(value) : value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(plain)) {
    out[key] = key === 'args' ? CENSOR : scrubError(item, depth + 1, seen);
  }
  return out;
}

/** Errors, arrays and plain objects are walked; dates, buffers and the like are left as they are. */
function isWalked(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Error || Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** pino's error serializer, then scrubbed (see scrubError). */
export function serializeError(error: unknown): unknown {
  return scrubError(error, 0, new WeakSet());
}

export type { Logger };

export function createLogger(
  opts: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      name: opts.name ?? 'folder-sync',
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: { err: serializeError },
      // trace_id and span_id on a line written inside a span: the trace it belongs to
      mixin: traceLogFields,
      hooks: {
        // messages are built from error messages and URLs: no credentials in them either
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // an error logged alone gives pino its message
          if (first instanceof Error && rest.length === 0) {
            return method.call(this, first, redactUrlCredentials(first.message));
          }
          const clean = args.map((a: unknown) => (typeof a === 'string' ? redactUrlCredentials(a) : a));
          return method.apply(this, clean as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** The same error message is logged at most this often while its cause lasts. */
export const ERROR_REPEAT_MS = 30_000;

interface Repeats {
  at: number;
  suppressed: number;
}

/**
 * One throttle per logger (that is, per process): during an outage the Redis connection, every
 * queue and every worker report the same failure, each a few times a second.
 */
const throttles = new WeakMap<Logger, Map<string, Repeats>>();

function throttleOf(log: Logger): Map<string, Repeats> {
  let seen = throttles.get(log);
  if (!seen) {
    seen = new Map();
    throttles.set(log, seen);
  }
  return seen;
}

/** Forgets messages not seen for a while, so distinct messages cannot grow the map for good. */
function prune(seen: Map<string, Repeats>, now: number): void {
  if (seen.size < 100) return;
  for (const [message, r] of seen) if (now - r.at >= ERROR_REPEAT_MS) seen.delete(message);
}

/**
 * An ErrorSink that logs through the redacting logger, each message at most every
 * ERROR_REPEAT_MS per process (with the count of repeats left out). Every sink of the product
 * reports Redis, BullMQ or ioredis errors: a refused password reads as such.
 */
export function errorSink(log: Logger, what: string): ErrorSink {
  return (error: Error) => {
    const message = describeRedisError(error);
    const seen = throttleOf(log);
    const now = Date.now();
    const last = seen.get(message);
    if (last && now - last.at < ERROR_REPEAT_MS) {
      last.suppressed += 1;
      return;
    }
    prune(seen, now);
    seen.set(message, { at: now, suppressed: 0 });
    const repeats = last?.suppressed ? { repeatsNotLogged: last.suppressed } : {};
    log.warn({ err: error, source: what, ...repeats }, `${what}: ${message}`);
  };
}

/**
 * Logs an emitter's 'error' events through `errorSink`. Without a listener, Node would crash,
 * ioredis would print raw stacks and BullMQ raw errors (with their commands' arguments).
 */
export function logErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  log: Logger,
  what: string,
): void {
  emitter.on('error', errorSink(log, what));
}
