import type { Telemetry } from 'bullmq';
import type { MiddlewareHandler } from 'hono';

/** What src/telemetry/start.ts hands the product's code once tracing runs in this process. */
export interface InstalledTracing {
  /** BullMQ's telemetry for every Queue and Worker (bullmq-otel) */
  bullmq: Telemetry;
  /** the ingest route's server span (@hono/otel) */
  ingest: MiddlewareHandler;
  /** exports the spans still buffered and stops tracing (before the process exits) */
  shutdown: () => Promise<void>;
}

/**
 * Set by startTracing and by nothing else, so code that queues jobs or serves ingest asks here
 * instead of importing the SDK's parts: a process that does not trace never loads them.
 */
let installed: InstalledTracing | undefined;

export function installTracing(tracing: InstalledTracing | undefined): void {
  installed = tracing;
}

export function installedTracing(): InstalledTracing | undefined {
  return installed;
}

/** Exports what is buffered and stops tracing, when it runs; safe to call when it does not. */
export async function shutdownTracing(): Promise<void> {
  await installed?.shutdown();
}
