/**
 * Whether the standard OTEL_* variables ask for traces. Tracing is off unless
 * OTEL_TRACES_EXPORTER names an exporter other than `none` or an OTLP endpoint is given, and
 * OTEL_SDK_DISABLED=true wins over both. It reads the environment only, so a process that does
 * not trace never imports OpenTelemetry's SDK.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.length > 0) return exporters.some((name) => name !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
