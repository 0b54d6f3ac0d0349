/**
 * A real 3-master Redis Cluster on loopback ports, from Debian's redis-server and redis-cli (no
 * Docker): the tests' global setup, the benchmarks and `.ci/run` use it, and so can you:
 *
 *   npx tsx scripts/redis-cluster.ts [--port 7100] [--masters 3]   # prints REDIS_CLUSTER_NODES, runs until Ctrl-C
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface RedisClusterOptions {
  masters?: number;
  /** first port (the rest follow); default: free ports */
  port?: number;
  /** extra redis-server arguments for every node */
  args?: string[];
}

export class RedisCluster {
  private constructor(
    readonly ports: number[],
    private readonly dir: string,
    private readonly children: ChildProcess[],
  ) {}

  /** `host:port,…` for REDIS_CLUSTER_NODES */
  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  static async start(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = opts.masters ?? 3;
    const ports = opts.port
      ? Array.from({ length: masters }, (_, i) => opts.port! + i)
      : await Promise.all(Array.from({ length: masters }, freePort));
    const dir = mkdtempSync(join(tmpdir(), 'fs-cluster-'));
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          ...(opts.args ?? []),
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new RedisCluster(ports, dir, children);
    try {
      await Promise.all(ports.map((port) => waitForPong(port)));
      await run('redis-cli', [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await Promise.all(ports.map((port) => waitForClusterOk(port)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Keys held by each master, in port order. */
  async keysPerNode(): Promise<number[]> {
    return Promise.all(
      this.ports.map(async (port) => {
        const node = new Redis(port, '127.0.0.1', { lazyConnect: true });
        try {
          await node.connect();
          return await node.dbsize();
        } finally {
          node.disconnect();
        }
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port free on loopback now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ask<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T | undefined> {
  const redis = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`Redis Cluster: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const waitForPong = (port: number) =>
  waitFor(`redis-server on ${port} answering`, async () => (await ask(port, (r) => r.ping())) === 'PONG');

const waitForClusterOk = (port: number) =>
  waitFor(`cluster_state:ok on ${port}`, async () =>
    Boolean((await ask(port, (r) => r.cluster('INFO')))?.includes('cluster_state:ok')),
  );

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const port = arg('port');
  const masters = arg('masters');
  const cluster = await RedisCluster.start({
    ...(port ? { port } : {}),
    ...(masters ? { masters } : {}),
  });
  console.log(`REDIS_CLUSTER_NODES=${cluster.nodes}`);
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
