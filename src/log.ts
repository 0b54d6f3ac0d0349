import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino censors in every log line. Secrets also never enter log objects in the first
 * place (the client never logs headers); this is the second line of defence.
 */
export const REDACT_PATHS = [
  'appSecret',
  '*.appSecret',
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

export type { Logger };

export function createLogger(
  opts: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      name: opts.name ?? 'folder-sync',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/**
 * Logs an emitter's 'error' events (a Redis connection, a queue) without flooding: the same
 * message is repeated at most every 30 s while the cause lasts. Without a listener, Node would
 * crash or print raw stacks.
 */
export function logErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  log: Logger,
  what: string,
): void {
  let last = '';
  let at = 0;
  emitter.on('error', (error: Error) => {
    const now = Date.now();
    if (error.message === last && now - at < 30_000) return;
    last = error.message;
    at = now;
    log.warn({ err: error, source: what }, `${what}: ${error.message}`);
  });
}
