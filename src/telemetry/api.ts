/**
 * What the product's code uses of OpenTelemetry: the API alone, which has no dependencies and does
 * nothing until an SDK registers itself (src/telemetry/start.ts, loaded only when tracing is on).
 */
import {
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  SpanStatusCode,
  TraceFlags,
  trace,
  context as traceContext,
} from '@opentelemetry/api';

import { carrierOf } from '../publisher/trace-carrier.js';

const tracer = trace.getTracer('yunxin-folder-sync');

/** Runs `work` in a new active span, ended when it settles; a rejection is recorded on it. */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The active trace's id (32 lowercase hex digits), if a span is active. */
export function activeTraceId(): string | undefined {
  return activeSpanContext()?.traceId;
}

/** Whether the active span is recorded: only then is it worth pointing at from elsewhere. */
export function activeSpanSampled(): boolean {
  const spanContext = activeSpanContext();
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** The fields a log line written inside a span carries (the pino mixin of src/log.ts). */
export function traceLogFields(): { trace_id: string; span_id: string } | Record<string, never> {
  const spanContext = activeSpanContext();
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

/**
 * The active context as BullMQ's telemetry stores it in a job's options (`opts.tm`): the JSON
 * of what the registered propagator injects (W3C `traceparent`, by default). A worker with
 * BullMQ telemetry continues the trace from it. Undefined when there is nothing to propagate,
 * as when no SDK is registered.
 */
export function traceCarrier(): string | undefined {
  return carrierOf({ propagation, context: traceContext });
}

/** The span context a traceCarrier() string holds, if it holds a valid one. */
export function spanContextOf(carrier: string): SpanContext | undefined {
  let fields: unknown;
  try {
    fields = JSON.parse(carrier);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null) return undefined;
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, fields));
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}
