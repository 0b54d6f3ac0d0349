import { type Config, keysOf } from '../../config.js';
import { checkLayout } from '../../fleet/deployment.js';
import { fleetState } from '../../fleet/state.js';
import { httpApp } from '../../http/app.js';
import { type Listening, listen, logListening } from '../../http/listen.js';
import { within } from '../../http/within.js';
import { closeAllQueues, flatQueues, openAllQueues } from '../../jobs/all-queues.js';
import { createRedis, redisEndpoint } from '../../jobs/connection.js';
import { createLogger, errorSink, type Logger } from '../../log.js';
import { Metrics } from '../../metrics/metrics.js';
import { describeRedisError } from '../../redis/errors.js';
import { checkEvictionPolicy } from '../../redis/eviction.js';
import { configOrExit, isConfigProblem } from '../config-or-exit.js';
import { EXIT } from '../exit-codes.js';
import { exitOnUncaught, onShutdown } from '../shutdown.js';

export interface RunningServer {
  http: Listening;
  close(): Promise<void>;
}

/**
 * The HTTP side: dashboard, ingest, metrics and health. `extraReady` adds checks (the workers,
 * when they run in the same process).
 */
export async function startServer(
  config: Config,
  log: Logger,
  opts: { metrics?: Metrics; extraReady?: () => Promise<boolean> } = {},
): Promise<RunningServer> {
  // producer connection: retries briefly so a slow Redis delays a request instead of failing it
  const redis = createRedis(redisEndpoint(config), 'producer', errorSink(log, 'redis'), {
    maxRetriesPerRequest: 20,
  });
  const keys = keysOf(config);
  const queues = openAllQueues(redis, keys, errorSink(log, 'queues'));
  const metrics = opts.metrics ?? new Metrics();
  metrics.watchQueues(flatQueues(queues));
  metrics.watchParked(redis, keys);
  metrics.watchWorkers(redis, keys, config.LOCK_MS);
  let closing = false;
  const app = httpApp({
    config,
    log,
    metrics,
    queues: flatQueues(queues),
    eventsQueue: queues.events,
    readiness: {
      check: async () => ({
        redis: (await within(redis.ping(), 1000)) === 'PONG',
        workers: opts.extraReady ? await opts.extraReady() : true,
        'not shutting down': !closing,
      }),
      details: () => fleetState(redis, keys, config.LOCK_MS),
    },
  });
  const http = await listen(app, config.HTTP_HOST, config.HTTP_PORT);
  if (!config.DASHBOARD_PASSWORD && !config.DASHBOARD_TOKEN) {
    log.warn('neither DASHBOARD_PASSWORD nor DASHBOARD_TOKEN is set: the dashboard refuses everyone');
  }
  if (!config.INGEST_TOKEN) log.warn('INGEST_TOKEN is not set: POST /v1/events refuses everyone');
  logListening(
    log,
    http,
    'HTTP server',
    '/metrics and /readyz (no authentication), the dashboard and ingest (their credentials only)',
    { dashboard: `${http.url}/admin/queues` },
  );
  return {
    http,
    close: async () => {
      closing = true;
      await http.close();
      // quitting a Redis that does not answer would wait for it forever
      if (redis.status !== 'ready') redis.disconnect();
      await closeAllQueues(queues);
      if (redis.status === 'ready') await redis.quit();
    },
  };
}

/**
 * serve answers /healthz while Redis is away, so Redis is checked beside it rather than before:
 * once Redis answers, a password it refuses, a policy that evicts keys or a partition count
 * other than the deployment's ends the process (exit 2), as it stops a worker.
 */
function checkRedisBeside(config: Config, log: Logger): void {
  // a worker-role connection waits for Redis however long it is away
  const redis = createRedis(redisEndpoint(config), 'worker', errorSink(log, 'redis'));
  const checks = async () => {
    await checkEvictionPolicy(redis, { allowEviction: config.REDIS_ALLOW_EVICTION, log });
    await checkLayout(redis, keysOf(config));
  };
  checks().then(
    () => redis.disconnect(),
    (error: unknown) => {
      redis.disconnect();
      const why = error instanceof Error ? describeRedisError(error) : String(error);
      if (!isConfigProblem(error)) {
        log.warn({ err: error }, `could not check Redis' settings: ${why}`);
        return;
      }
      log.error({ err: error }, `serve refused to start: ${why}`);
      process.exit(EXIT.usage);
    },
  );
}

export async function serveAction(): Promise<void> {
  const config = configOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, name: 'server' });
  exitOnUncaught(log);
  const server = await startServer(config, log);
  onShutdown(log, () => server.close(), config.SHUTDOWN_TIMEOUT_MS);
  checkRedisBeside(config, log);
}
