/**
 * Starts OpenTelemetry tracing: imported only when tracingRequested() (src/cli/program.ts), before
 * the command's own modules, so that nothing of the SDK loads in a process that does not trace.
 * The SDK reads the standard OTEL_* variables itself (exporter, endpoint, protocol, sampler,
 * propagators, resource); see docs/operations.md, "Tracing".
 */
import { createRequire } from 'node:module';
import { httpInstrumentationMiddleware } from '@hono/otel';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { BullMQOtel } from 'bullmq-otel';
import { redactUrlSecrets } from '../redact.js';
import { type InstalledTracing, installTracing } from './installed.js';
import { samplerFromEnv, WithoutHousekeeping } from './sampler.js';

const DEFAULT_SERVICE_NAME = 'folder-sync';

export interface TracingOptions {
  /** where spans go instead of OTEL_TRACES_EXPORTER's exporters (a test's in-memory exporter) */
  spanProcessors?: NodeSDKConfiguration['spanProcessors'];
}

export function startTracing(options: TracingOptions = {}): InstalledTracing {
  const sdk = new NodeSDK({
    ...(serviceNamed(process.env) ? {} : { serviceName: DEFAULT_SERVICE_NAME }),
    // traces only: metrics stay on /metrics (Prometheus) and logs with pino, whatever the
    // SDK's defaults for OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER would start
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    sampler: new WithoutHousekeeping(samplerFromEnv()),
    instrumentations: [
      // Tencent signs requests with a UserSig in the query: spans get the URL without it
      new UndiciInstrumentation({
        startSpanHook: (request) => {
          const url = redactUrlSecrets(new URL(request.path, request.origin));
          return { 'url.full': url.href, 'url.query': url.search };
        },
      }),
      // the command alone: arguments hold event payloads, account names and, in HELLO/AUTH, the password
      new IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  // ioredis is CommonJS: the instrumentation patches it when it is next require()d, which an
  // ESM import is not. Requiring it here patches the class every importer shares, now.
  createRequire(import.meta.url)('ioredis');
  let stopping: Promise<void> | undefined;
  const tracing: InstalledTracing = {
    bullmq: new BullMQOtel(),
    ingest: httpInstrumentationMiddleware({ captureActiveRequests: false }),
    shutdown: () => {
      stopping ??= sdk.shutdown();
      return stopping;
    },
  };
  installTracing(tracing);
  // a command that ends by itself (publish, rules, account…) exports its last spans first
  process.once('beforeExit', () => void tracing.shutdown());
  return tracing;
}

/** Whether the environment names the service: the SDK's own detector then names it. */
function serviceNamed(env: NodeJS.ProcessEnv): boolean {
  return (
    Boolean(env.OTEL_SERVICE_NAME) || /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '')
  );
}
