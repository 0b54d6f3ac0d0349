import { within } from '../http/within.js';
import type { Logger } from '../log.js';
import { shutdownTracing } from '../telemetry/installed.js';

/** How long the last spans may take to export at exit (an unreachable collector must not hold it). */
const TRACES_FLUSH_MS = 5_000;

/** Exits with `code` once the spans still buffered are exported (when tracing runs). */
async function exitAfterTraces(code: number): Promise<never> {
  await within(shutdownTracing(), TRACES_FLUSH_MS);
  process.exit(code);
}

/**
 * Runs `stop` once on SIGTERM/SIGINT and exits 0; if stopping takes longer than timeoutMs
 * (or fails), exits 1 so the orchestrator knows the drain was cut short.
 */
export function onShutdown(log: Logger, stop: () => Promise<void>, timeoutMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, timeoutMs }, 'shutting down: finishing in-flight work');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out; exiting with work in flight (it will be retried)');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        log.info('stopped');
        return exitAfterTraces(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        return exitAfterTraces(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

/** Uncaught errors are logged with their context and end the process (the orchestrator restarts it). */
export function exitOnUncaught(log: Logger): void {
  process.on('uncaughtException', (error, origin) => {
    log.fatal({ err: error, origin }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
}
