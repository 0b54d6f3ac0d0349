import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../scripts/redis-cluster.js';
import type { RedisEndpoint } from '../../src/jobs/connection.js';
import { deleteKeysWithPrefix } from '../../src/redis/delete-prefix.js';
import { answersPing, findRedis } from '../../src/redis/discover.js';
import { sleep } from './time.js';

/**
 * A key prefix of this run's own, with a `{hash tag}` as QUEUE_PREFIX needs. Every benchmark
 * works under its own prefix and deletes it afterwards (SCAN + UNLINK, never FLUSHALL: the
 * machine's Redis is shared).
 */
export function benchPrefix(label: string): string {
  return `{fs-bench-${label}-${process.pid}-${randomBytes(3).toString('hex')}}`;
}

export async function deletePrefix(endpoint: string | RedisEndpoint, prefix: string): Promise<number> {
  return deleteKeysWithPrefix(endpoint, prefix);
}

/** The machine's Redis: REDIS_URL, else 127.0.0.1:6379 (as the tests find it). */
export async function machineRedis(): Promise<string> {
  return (await findRedis()).url;
}

export async function redisInfo(url: string, section?: string): Promise<Record<string, string>> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const text = section ? await client.info(section) : await client.info();
    const out: Record<string, string> = {};
    for (const line of text.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  } finally {
    client.disconnect();
  }
}

export interface OwnRedis {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a private `redis-server` (Debian's, on PATH) on a free loopback port: no persistence,
 * `noeviction`, its own working directory. Used where a measurement must not see other users
 * of the machine's Redis (memory per account) or where the bench needs a topology of its own.
 */
export async function startOwnRedis(extraArgs: string[] = []): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fs-bench-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--dir',
      dir,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  child.stderr!.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) =>
      reject(new Error(`cannot start redis-server (is it installed?): ${e.message}`)),
    ),
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await Promise.race([answersPing(url, 500), spawnError]);
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start:\n${output}`);
    }
    await sleep(50);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    port,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
