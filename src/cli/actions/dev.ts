import { randomBytes } from 'node:crypto';
import { type Config, canonicalEnv } from '../../config.js';
import { runDemo } from '../../demo/run-demo.js';
import { openPartitioned } from '../../jobs/partitioned-queue.js';
import { QUEUES } from '../../jobs/queues.js';
import { createLogger, errorSink, type Logger } from '../../log.js';
import { Metrics } from '../../metrics/metrics.js';
import { createProvider } from '../../provider/create-provider.js';
import { PROVIDER_LABELS } from '../../provider/types.js';
import { redactUrlCredentials } from '../../redact.js';
import { deleteKeysWithPrefix } from '../../redis/delete-prefix.js';
import { findRedis } from '../../redis/discover.js';
import { loadRulesFile } from '../../rules/load.js';
import type { SimulatorBase } from '../../simulators/kit/simulator.js';
import { TENCENT_DEMO_APP } from '../../simulators/tencent/demo-app.js';
import { startTencentSimulator } from '../../simulators/tencent/server.js';
import { DEMO_APP } from '../../simulators/yunxin/demo-app.js';
import { startSimulator } from '../../simulators/yunxin/server.js';
import { AccountStore } from '../../store/account-store.js';
import { withScripts } from '../../store/scripts.js';
import { startWorkers } from '../../workers/run-workers.js';
import { commandKeys, commandRedis } from '../command-redis.js';
import { configOrExit, orExit } from '../config-or-exit.js';
import { EXIT } from '../exit-codes.js';
import type { DevFlags } from '../flags.js';
import { exitOnUncaught, onShutdown } from '../shutdown.js';
import { startServer } from './serve.js';

const DEV_PREFIX = '{folder-sync-dev}';

/** Runs the demo story against the stack the configuration points at. */
async function demoAgainst(config: Config, print: (line: string) => void): Promise<void> {
  const { redis: connection, onError } = commandRedis(config, 'demo');
  const redis = withScripts(connection);
  const keys = await commandKeys(config, redis);
  const events = openPartitioned(QUEUES.events, redis, keys, onError);
  const provider = createProvider(config, {
    beforeCall: async () => {},
    onCall: () => {},
    log: createLogger({ level: 'silent' }),
  });
  try {
    const { rules } = await loadRulesFile(config.FOLDER_RULES);
    await runDemo({
      events,
      store: new AccountStore(redis, keys),
      provider,
      appFolders: rules.folders,
      print,
    });
  } finally {
    await events.close();
    await provider.close();
    redis.disconnect();
  }
}

/** A local simulator and the configuration that points the workers at it. */
type LocalSimulator = { sim: SimulatorBase; env: Record<string, string> };

/** The simulator of the configured provider (port 8787, else a free one). */
async function startLocalSimulator(log: Logger, provider: Config['PROVIDER']): Promise<LocalSimulator> {
  const start = async (port: number): Promise<LocalSimulator> => {
    if (provider === 'tencent') {
      const sim = await startTencentSimulator({ port, admin: true });
      return {
        sim,
        env: {
          PROVIDER_ENDPOINT: sim.url,
          PROVIDER_APP_ID: String(TENCENT_DEMO_APP.sdkappid),
          PROVIDER_SECRET: TENCENT_DEMO_APP.secretKey,
          TENCENT_ADMIN: TENCENT_DEMO_APP.admin,
        },
      };
    }
    const sim = await startSimulator({ port, admin: true });
    return {
      sim,
      env: {
        PROVIDER_ENDPOINT: sim.url,
        PROVIDER_APP_ID: DEMO_APP.appKey,
        PROVIDER_SECRET: DEMO_APP.appSecret,
      },
    };
  };
  try {
    return await start(8787);
  } catch {
    log.warn('port 8787 is taken: the simulator listens on a free port instead');
    return start(0);
  }
}

/** Are the provider's credentials set (then the real provider is used, not a simulator)? */
const hasCredentials = (env: NodeJS.ProcessEnv) => Boolean(env.PROVIDER_APP_ID && env.PROVIDER_SECRET);

export async function devAction(o: DevFlags): Promise<void> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', name: 'dev' });
  exitOnUncaught(log);
  const given = orExit(() => canonicalEnv(process.env));
  let redis: Awaited<ReturnType<typeof findRedis>>;
  try {
    redis = await findRedis();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(EXIT.usage);
  }
  const env: NodeJS.ProcessEnv = { ...given, REDIS_URL: redis.url };
  const provider = env.PROVIDER === 'tencent' ? 'tencent' : 'yunxin';
  const local = hasCredentials(env) ? undefined : await startLocalSimulator(log, provider);
  const sim = local?.sim;
  if (local) await pointAtSimulator(env, local, redis.url, log);
  env.DASHBOARD_PASSWORD ||= randomBytes(9).toString('base64url');
  env.INGEST_TOKEN ||= randomBytes(18).toString('base64url');
  const config = configOrExit(env);
  const metrics = new Metrics();
  const workers = await startWorkers(config, log, metrics);
  const server = await startServerOrFreePort(config, log, { metrics, extraReady: () => workers.ready() });
  const url = server.http.url;
  console.log(
    [
      '',
      'yunxin-folder-sync is running',
      `  Redis          ${redactUrlCredentials(redis.url)} (${redis.source}), key prefix ${config.QUEUE_PREFIX}`,
      `  ${PROVIDER_LABELS[config.PROVIDER]!.padEnd(15)}${config.PROVIDER_ENDPOINT.join(', ')}${sim ? ' (the simulator; state at /_sim/accounts/<account>/groups)' : ''}`,
      `  rules          ${config.FOLDER_RULES}`,
      `  dashboard      ${url}/admin/queues   user ${config.DASHBOARD_USER}, password ${env.DASHBOARD_PASSWORD}`,
      `  ingest         curl -H 'Authorization: Bearer ${env.INGEST_TOKEN}' --data-binary @examples/events.ndjson ${url}/v1/events`,
      `  metrics        ${url}/metrics    health ${url}/healthz, ${url}/readyz`,
      '  stop           Ctrl-C',
    ].join('\n'),
  );
  onShutdown(
    log,
    async () => {
      await server.close();
      await workers.close();
      await sim?.close();
      await redis.stop();
    },
    config.SHUTDOWN_TIMEOUT_MS,
  );
  if (o.demo) await demoOnRunningStack(config, url);
}

/** Points the workers at the local simulator, in a Redis namespace of dev's own when none is set. */
async function pointAtSimulator(
  env: NodeJS.ProcessEnv,
  local: LocalSimulator,
  redisUrl: string,
  log: Logger,
) {
  Object.assign(env, local.env);
  // The simulator starts empty, so the ledger must too: a namespace of dev's own, cleared.
  if (!env.QUEUE_PREFIX) {
    env.QUEUE_PREFIX = DEV_PREFIX;
    await deleteKeysWithPrefix(redisUrl, DEV_PREFIX, errorSink(log, 'redis'));
  }
}

/** The HTTP server on HTTP_PORT, else (taken) on a free port. */
function startServerOrFreePort(
  config: Config,
  log: Logger,
  opts: Parameters<typeof startServer>[2],
): ReturnType<typeof startServer> {
  return startServer(config, log, opts).catch(async (error: unknown) => {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    log.warn({ port: config.HTTP_PORT }, 'HTTP port taken: listening on a free port instead');
    return startServer({ ...config, HTTP_PORT: 0 }, log, opts);
  });
}

/** The demo story, told to the stack this process runs (which keeps running whatever happens). */
async function demoOnRunningStack(config: Config, url: string): Promise<void> {
  await demoAgainst(config, (line) => console.log(line)).catch((error: unknown) =>
    console.error(`demo failed: ${(error as Error).message}`),
  );
  console.log(`\nThe stack keeps running: open ${url}/admin/queues to see the jobs. Ctrl-C stops it.`);
}

export async function demoAction(): Promise<void> {
  const config = configOrExit();
  await demoAgainst(config, (line) => console.log(line));
}
