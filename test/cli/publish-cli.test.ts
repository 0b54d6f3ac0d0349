import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/schema.js';
import type { EventsJobData } from '../../src/jobs/publish.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { keysFor } from '../../src/store/keys.js';
import { CLI, ROOT, spawnCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI to its end, keeping stdout and stderr apart. */
async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const proc = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  proc.child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  proc.child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await proc.exited;
  return { code, stdout, stderr };
}

/** The same, feeding `input` on stdin. */
async function runCliWithStdin(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdin.end(input);
  return { code: await exited, stdout, stderr };
}

const pinned = (n: number): DomainEvent => ({
  id: `e-${n}`,
  type: 'conversation.pinned',
  account: 'alice',
  at: 1763700000000 + n,
  conversation: { type: 2, target: `team-${n}` },
});

let url: string;
let dir: string;
const prefixes: string[] = [];

beforeAll(async () => {
  url = redisUrl();
  dir = await mkdtemp(join(tmpdir(), 'publish-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const prefix of prefixes) await deleteKeys(url, prefix);
});

function freshPrefix(): string {
  const prefix = uniquePrefix('publish-cli');
  prefixes.push(prefix);
  return prefix;
}

/** Every event in the events queue under `prefix` (one partition: PARTITIONS=1), in job order. */
async function queuedEvents(prefix: string): Promise<{ jobs: number; events: DomainEvent[] }> {
  const queue = new Queue(QUEUES.events, {
    connection: { url },
    prefix: keysFor(prefix, 1).parts[0]!.prefix,
  });
  try {
    const jobs = await queue.getJobs(['waiting'], 0, -1, true);
    return { jobs: jobs.length, events: jobs.flatMap((job) => (job.data as EventsJobData).events) };
  } finally {
    await queue.close();
  }
}

describe('folder-sync publish (a real process)', () => {
  it('publishes the valid lines, reports each bad one by line number, and exits 1', async () => {
    const prefix = freshPrefix();
    const file = join(dir, 'mixed.ndjson');
    await writeFile(
      file,
      [
        JSON.stringify(pinned(1)),
        JSON.stringify(pinned(2)),
        JSON.stringify({ ...pinned(3), conversation: { type: 4, target: 'team-3' } }),
        '',
        JSON.stringify(pinned(5)),
        '{"id": "e-6",',
        JSON.stringify(pinned(7)),
        '',
      ].join('\n'),
    );
    const run = await runCli(['publish', file], { REDIS_URL: url, QUEUE_PREFIX: prefix, PARTITIONS: '1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'line 3: conversation.type: expected a conversation type 1 (p2p), 2 (advanced team) or 3 (super team), got 4\n',
    );
    expect(run.stderr).toContain('line 6: not JSON: ');
    expect(run.stdout.trim()).toBe('published 4 events, refused 2');
    expect(await queuedEvents(prefix)).toEqual({
      jobs: 1,
      events: [pinned(1), pinned(2), pinned(5), pinned(7)],
    });
  });

  it('publishes examples/events.ndjson completely and exits 0; --json prints the summary', async () => {
    const prefix = freshPrefix();
    const run = await runCli(['publish', 'examples/events.ndjson', '--json'], {
      REDIS_URL: url,
      QUEUE_PREFIX: prefix,
      PARTITIONS: '1',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toEqual({ published: summary.lines, refused: 0, lines: summary.lines, jobs: 1 });
    expect(summary.published).toBeGreaterThanOrEqual(13);
    const { events } = await queuedEvents(prefix);
    expect(events.map((e) => e.id)).toHaveLength(summary.published);
    expect(events[0]).toMatchObject({ type: 'conversation.upserted', account: 'alice' });
  });

  it('reads stdin for "-", in chunks across several jobs', async () => {
    const prefix = freshPrefix();
    const events = Array.from({ length: 1234 }, (_, i) => pinned(i));
    const run = await runCliWithStdin(
      ['publish', '-'],
      { REDIS_URL: url, QUEUE_PREFIX: prefix, PARTITIONS: '1' },
      `${events.map((e) => JSON.stringify(e)).join('\r\n')}\r\n`,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('published 1234 events, refused 0');
    expect(run.code).toBe(0);
    const queued = await queuedEvents(prefix);
    expect(queued.jobs).toBe(13);
    expect(queued.events).toEqual(events);
  });

  it('exits 2 naming the variable on a bad configuration', async () => {
    const run = await runCli(['publish', 'examples/events.ndjson'], {
      REDIS_URL: url,
      QUEUE_PREFIX: freshPrefix(),
      PROVIDER_RATE_LIMIT: 'abc',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('PROVIDER_RATE_LIMIT');
    expect(run.stdout).toBe('');
  });

  it('exits 2 for a file it cannot read', async () => {
    const run = await runCli(['publish', join(dir, 'missing.ndjson')], {
      REDIS_URL: url,
      QUEUE_PREFIX: freshPrefix(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read .*missing\.ndjson: ENOENT/);
  });

  it('exits 1 when Redis cannot be reached, instead of waiting forever', async () => {
    const run = await runCli(['publish', 'examples/events.ndjson'], {
      REDIS_URL: 'redis://127.0.0.1:1',
      QUEUE_PREFIX: freshPrefix(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/publish failed: .*ECONNREFUSED/);
    expect(run.stdout.trim()).toBe('published 0 events before the failure, refused 0');
  });

  it('--help documents the exit codes', async () => {
    const run = await runCli(['publish', '--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toContain('1  some lines were refused');
    expect(run.stdout).toContain('--json');
  });
});
