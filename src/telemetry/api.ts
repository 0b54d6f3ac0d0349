/**
 * What the product's code uses of OpenTelemetry: the API alone, which has no dependencies and does
 * nothing until an SDK registers itself (src/telemetry/start.ts, loaded only when tracing is on).
 */
import { isSpanContextValid, type SpanContext, trace } from '@opentelemetry/api';

function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The active trace's id (32 lowercase hex digits), if a span is active. */
export function activeTraceId(): string | undefined {
  return activeSpanContext()?.traceId;
}

/** The fields a log line written inside a span carries (the pino mixin of src/log.ts). */
export function traceLogFields(): { trace_id: string; span_id: string } | Record<string, never> {
  const spanContext = activeSpanContext();
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}
