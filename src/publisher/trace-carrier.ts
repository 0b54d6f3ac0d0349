/**
 * The app's active trace as BullMQ's telemetry stores it in a job's options (`tm`: the JSON of
 * what the registered propagator injects, W3C `traceparent` by default), so that a worker with
 * tracing on continues the producer's trace. @opentelemetry/api is an optional peer: an app
 * without it, or without an active span, adds jobs that carry none.
 */
import type * as OtelApi from '@opentelemetry/api';

type Propagating = Pick<typeof OtelApi, 'propagation' | 'context'>;

/** The carrier of `api`'s active context, or undefined when there is nothing to propagate. */
export function carrierOf(api: Propagating): string | undefined {
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.context.active(), carrier);
  return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : undefined;
}

let loaded: Promise<Propagating | undefined> | undefined;

/** carrierOf the app's @opentelemetry/api, loaded on first use if the app has it. */
export async function activeTraceCarrier(): Promise<string | undefined> {
  loaded ??= import('@opentelemetry/api').catch(() => undefined);
  const api = await loaded;
  return api ? carrierOf(api) : undefined;
}
