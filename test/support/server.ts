import { Writable } from 'node:stream';
import { type RunningServer, startServer } from '../../src/cli/actions/serve.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { deleteKeys, redisUrl, uniquePrefix } from './redis.js';

export const DASHBOARD_PASSWORD = 'dashboard-password-1';
export const DASHBOARD_TOKEN = 'dashboard-token-0123456789';
export const INGEST_TOKEN = 'ingest-token-0123456789abc';

export interface ServerHarness {
  server: RunningServer;
  config: Config;
  url: string;
  logs(): string;
  close(): Promise<void>;
}

/** `folder-sync serve` in-process on a free port, with its own key prefix. */
export async function startTestServer(env: Record<string, string> = {}): Promise<ServerHarness> {
  const config = loadConfig({
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: uniquePrefix('http'),
    // one partition: the board shows `events`, not `p3-events` (a test sharing a deployment
    // passes its QUEUE_PREFIX and PARTITIONS)
    PARTITIONS: '1',
    HTTP_PORT: '0',
    DASHBOARD_PASSWORD,
    DASHBOARD_TOKEN,
    INGEST_TOKEN,
    ...env,
  });
  let logged = '';
  const log = createLogger(
    { level: 'debug' },
    new Writable({
      write(chunk, _e, done) {
        logged += chunk.toString();
        done();
      },
    }),
  );
  const server = await startServer(config, log);
  return {
    server,
    config,
    url: server.http.url,
    logs: () => logged,
    close: async () => {
      await server.close();
      await deleteKeys(config.REDIS_URL, config.QUEUE_PREFIX);
    },
  };
}

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
