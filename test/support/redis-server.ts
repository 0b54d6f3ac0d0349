/**
 * A redis-server of one test's own (Debian's `redis-server` on PATH; .ci/run installs it), on a
 * free loopback port with its own data directory, so the test may stop, kill and restart it.
 * Never the shared Redis on 6379.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, pollUntil } from './compose.js';

export interface OwnRedisOptions {
  /** extra redis-server arguments, e.g. ['--requirepass', 'x'] */
  args?: string[];
  /** AUTH password for the readiness check (with --requirepass) */
  password?: string;
}

export class OwnRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly opts: OwnRedisOptions,
  ) {}

  /** Starts a redis-server with AOF on (`appendfsync always`) and no RDB snapshots. */
  static async start(opts: OwnRedisOptions = {}): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort(), mkdtempSync(join(tmpdir(), 'fs-redis-')), opts);
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** What redis-server printed, every run. */
  output(): string {
    return this.log;
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** (Re)starts on the same port and directory: the AOF brings the data back. */
  async launch(): Promise<void> {
    if (this.running()) throw new Error('redis-server is already running');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
        ...(this.opts.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.on('error', (error) => {
      this.log += `spawn failed: ${error.message}\n`;
    });
    child.stdout!.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await pollUntil(
      `redis-server on port ${this.port}`,
      async () => {
        const probe = new Redis(this.port, '127.0.0.1', {
          password: this.opts.password,
          lazyConnect: true,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
        });
        probe.on('error', () => {}); // refused until it listens: the poll retries
        try {
          await probe.connect();
          // PING answers while the AOF is still loading with -LOADING: wait for a real PONG
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } finally {
          probe.disconnect();
        }
      },
      {
        timeoutMs: 15_000,
        intervalMs: 50,
        stop: () => (this.running() ? undefined : `redis-server exited:\n${this.log}`),
      },
    );
  }

  /** SHUTDOWN (the AOF is flushed) and wait for the process to exit. */
  async shutdown(): Promise<void> {
    if (!this.running()) return;
    const admin = new Redis(this.port, '127.0.0.1', {
      password: this.opts.password,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    admin.on('error', () => {});
    await admin.call('SHUTDOWN').catch(() => {}); // the connection drops as the server exits
    admin.disconnect();
    await this.exited;
  }

  /** SIGKILL: nothing is flushed beyond what `appendfsync always` already wrote. */
  async kill(): Promise<void> {
    if (this.running()) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Kills the server and deletes its data directory. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
