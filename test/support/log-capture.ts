import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

/** A logger (with the product's redaction) whose lines are kept in memory for assertions. */
export function capturedLogger(opts: { level: string; name?: string }): {
  logger: Logger;
  text: () => string;
} {
  let logged = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += chunk.toString();
      done();
    },
  });
  return { logger: createLogger(opts, sink), text: () => logged };
}
