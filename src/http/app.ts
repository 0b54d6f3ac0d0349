import type { Queue } from 'bullmq';
import { Hono } from 'hono';
import { accountLimits, type Config, eventValidation } from '../config.js';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ErrorAnswer, HealthAnswer, ReadinessAnswer } from './answers.js';
import { DASHBOARD_PATH, dashboard } from './dashboard.js';
import { ingest } from './ingest.js';
import { openApiDocument } from './openapi.js';
import { within } from './within.js';

export interface Readiness {
  /** named checks; the process is ready when all are true */
  check(): Promise<Record<string, boolean>>;
  /** state an operator should see, not a condition of readiness (the fleet's rules, data loss) */
  details?(): Promise<Record<string, unknown>>;
}

export interface HttpAppOptions {
  config: Config;
  log: Logger;
  metrics: Metrics;
  readiness: Readiness;
  /** queues shown on the dashboard (omit for a worker's metrics-only server) */
  queues?: readonly Queue[];
  /** where POST /v1/events puts events (omit: no ingest) */
  eventsQueue?: PartitionedQueue;
}

/**
 * The product's HTTP surface: /healthz (alive), /readyz (Redis answers, workers running, not
 * shutting down), /metrics (Prometheus), /admin/queues (bull-board, authenticated),
 * POST /v1/events (ingest, bearer token) and /openapi.json (its description).
 */
export function httpApp(opts: HttpAppOptions): Hono {
  const { config } = opts;
  const app = new Hono();
  app.get('/healthz', (c) => c.json<HealthAnswer>({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = await opts.readiness.check().catch(() => ({ readiness: false }));
    const ready = Object.values(checks).every(Boolean);
    const fleet = opts.readiness.details ? await within(opts.readiness.details(), 1_000) : undefined;
    // degraded: ready to serve, yet something an operator must fix (the provider refuses us)
    const status = !ready ? 'not ready' : fleet?.['degraded'] ? 'degraded' : 'ready';
    return c.json<ReadinessAnswer>({ status, checks, ...(fleet ? { fleet } : {}) }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const body = await opts.metrics.registry.metrics();
    return c.text(body, 200, { 'Content-Type': opts.metrics.registry.contentType });
  });
  if (opts.queues?.length) {
    app.route(
      DASHBOARD_PATH,
      dashboard(opts.queues, {
        readOnly: config.DASHBOARD_READ_ONLY,
        credentials: {
          user: config.DASHBOARD_USER,
          password: config.DASHBOARD_PASSWORD,
          token: config.DASHBOARD_TOKEN,
          realm: 'folder-sync dashboard',
        },
      }),
    );
  }
  if (opts.eventsQueue) {
    // Only where ingest is served (not on a worker's metrics port), and without a credential, as
    // /healthz: it holds no secret, only the shapes README shows, and client generators fetch it.
    app.get('/openapi.json', (c) => c.json(openApiDocument()));
    app.route(
      '/v1/events',
      ingest({
        queue: opts.eventsQueue,
        credentials: { token: config.INGEST_TOKEN, realm: 'folder-sync ingest' },
        maxBytes: config.INGEST_MAX_BYTES,
        validation: () => eventValidation(config),
        accountLimits: accountLimits(config),
        metrics: opts.metrics,
        log: opts.log,
      }),
    );
  }
  app.onError((error, c) => {
    opts.log.error({ err: error, path: c.req.path }, 'HTTP handler failed');
    return c.json<ErrorAnswer>({ error: 'internal error' }, 500);
  });
  return app;
}
