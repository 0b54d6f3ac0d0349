import { Redis } from 'ioredis';

export interface FoundRedis {
  url: string;
  source: 'REDIS_URL' | 'localhost' | 'testcontainers';
  /** stops what discovery started (a container); a no-op otherwise */
  stop: () => Promise<void>;
}

export const HOW_TO_GET_REDIS =
  'No Redis found. Set REDIS_URL=redis://host:port, or start one on 127.0.0.1:6379 ' +
  '(Debian/Ubuntu: `apt-get install redis-server && redis-server --daemonize yes`), ' +
  'or install Docker so a redis:7 container can be started automatically.';

/**
 * Finds a Redis the way the tests and `folder-sync dev` do: REDIS_URL; else one answering on
 * 127.0.0.1:6379; else a redis:7 container through testcontainers (machines with Docker);
 * else one error that says how to provide Redis.
 */
export async function findRedis(env: NodeJS.ProcessEnv = process.env): Promise<FoundRedis> {
  const noop = async () => {};
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: noop };
  const local = 'redis://127.0.0.1:6379';
  if (await answersPing(local)) return { url: local, source: 'localhost', stop: noop };
  try {
    // Loaded only here: testcontainers is a dev dependency and needs a Docker engine.
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7').start();
    return {
      url: container.getConnectionUrl(),
      source: 'testcontainers',
      stop: async () => {
        await container.stop();
      },
    };
  } catch (error) {
    throw new Error(`${HOW_TO_GET_REDIS} (testcontainers: ${(error as Error).message.split('\n')[0]})`);
  }
}

export async function answersPing(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
