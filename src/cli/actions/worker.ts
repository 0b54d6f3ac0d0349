import { type Config, keysOf } from '../../config.js';
import { httpApp } from '../../http/app.js';
import { type Listening, listen, logListening } from '../../http/listen.js';
import { flatQueues, openAllQueues } from '../../jobs/all-queues.js';
import { createRedis, redisEndpoint } from '../../jobs/connection.js';
import { createLogger, errorSink, type Logger } from '../../log.js';
import { Metrics } from '../../metrics/metrics.js';
import { describeRedisError } from '../../redis/errors.js';
import { startWorkers } from '../../workers/run-workers.js';
import { configOrExit, isConfigProblem } from '../config-or-exit.js';
import { EXIT } from '../exit-codes.js';
import { exitOnUncaught, onShutdown } from '../shutdown.js';

export interface RunningWorkerProcess {
  /** the metrics and health server, when WORKER_METRICS_PORT is set */
  http: Listening | undefined;
  close(): Promise<void>;
}

/**
 * `folder-sync worker` without the command line: the workers and, with WORKER_METRICS_PORT set,
 * /metrics (queue depths too, read on a connection of their own), /healthz and /readyz.
 */
export async function startWorkerProcess(config: Config, log: Logger): Promise<RunningWorkerProcess> {
  const redis = config.WORKER_METRICS_PORT
    ? createRedis(redisEndpoint(config), 'producer', errorSink(log, 'redis (metrics)'))
    : undefined;
  const queues = redis
    ? flatQueues(openAllQueues(redis, keysOf(config), errorSink(log, 'queues (metrics)')))
    : [];
  const closeMetricsRedis = async () => {
    await Promise.all(queues.map((q) => q.close()));
    await redis?.quit();
  };
  const metrics = new Metrics(queues);
  if (redis) {
    metrics.watchParked(redis, keysOf(config));
    metrics.watchWorkers(redis, keysOf(config), config.LOCK_MS);
  }
  const running = await startWorkers(config, log, metrics).catch(async (error: unknown) => {
    await closeMetricsRedis();
    throw error;
  });
  const http = config.WORKER_METRICS_PORT
    ? await listen(
        httpApp({
          config,
          log,
          metrics,
          readiness: {
            check: async () => ({ workers: await running.ready() }),
            details: () => running.fleetState(),
          },
        }),
        config.HTTP_HOST,
        config.WORKER_METRICS_PORT,
      )
    : undefined;
  if (http) {
    logListening(log, http, 'worker metrics and health', '/metrics and /readyz (no authentication)');
  }
  return {
    http,
    close: async () => {
      await http?.close();
      await running.close();
      await closeMetricsRedis();
    },
  };
}

export async function workerAction(): Promise<void> {
  const config = configOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
  exitOnUncaught(log);
  try {
    const running = await startWorkerProcess(config, log);
    onShutdown(log, () => running.close(), config.SHUTDOWN_TIMEOUT_MS);
  } catch (error) {
    const why = error instanceof Error ? describeRedisError(error) : String(error);
    log.error({ err: error }, `worker failed to start: ${why}`);
    process.exit(isConfigProblem(error) ? EXIT.usage : EXIT.failure);
  }
}
