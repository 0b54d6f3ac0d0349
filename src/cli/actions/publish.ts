import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { accountLimits, ConfigError, eventValidation, keysOf, loadConfig } from '../../config.js';
import type { DomainEvent } from '../../events/schema.js';
import { parseNdjsonLine, type ValidationContext } from '../../events/validate.js';
import { checkLayout, LayoutMismatchError } from '../../fleet/deployment.js';
import { createRedis, redisEndpoint } from '../../jobs/connection.js';
import { openPartitioned } from '../../jobs/partitioned-queue.js';
import { queueValidated } from '../../jobs/publish.js';
import { QUEUES } from '../../jobs/queues.js';
import { describeRedisError, isRedisAuthError } from '../../redis/errors.js';
import { inSpan } from '../../telemetry/api.js';
import { commandRetryStrategy } from '../command-redis.js';
import type { PublishFlags } from '../flags.js';

/** Exit codes of `publish` (the same meanings as the CLI's EXIT in exit-codes.ts). */
const EXIT = { ok: 0, refused: 1, failure: 1, usage: 2 } as const;

/**
 * Valid events are added once this many have accumulated (a multiple of EVENTS_PER_JOB, so
 * jobs stay full), which keeps memory bounded however long the input is.
 */
export const PUBLISH_CHUNK_EVENTS = 500;

export interface PublishSummary {
  /** events added to the queue */
  published: number;
  /** non-blank lines refused */
  refused: number;
  /** non-blank lines read */
  lines: number;
  /** jobs added to the events queue */
  jobs: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Opens the input before connecting anywhere, so a bad path fails fast with a clear message. */
async function openInput(file: string | undefined): Promise<Readable> {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) process.stderr.write('reading NDJSON events from stdin (end with Ctrl-D)\n');
    return process.stdin;
  }
  const handle = await open(file, 'r');
  // the stream owns the handle and closes it (a bare fd would be closed when the handle is collected)
  return handle.createReadStream({ encoding: 'utf8' });
}

/**
 * Reads NDJSON from `input`, writes each refused line to `errors` as
 * `line N: <error>; <error>` (N counts every line from 1, blank ones included), and adds the
 * valid events through `add`, PUBLISH_CHUNK_EVENTS at a time. `summary` is updated as lines
 * are read and events added, so after a failure it tells how far the publish got.
 */
export async function publishStream(
  input: Readable,
  add: (
    events: readonly DomainEvent[],
  ) => Promise<{ jobs: number; overLimit: Array<{ index: number; reason: string }> }>,
  errors: (line: string) => void,
  validation: () => ValidationContext,
  summary: PublishSummary = { published: 0, refused: 0, lines: 0, jobs: 0 },
): Promise<PublishSummary> {
  let pending: Array<{ line: number; event: DomainEvent }> = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const added = await add(batch.map((p) => p.event));
    summary.jobs += added.jobs;
    summary.published += batch.length - added.overLimit.length;
    summary.refused += added.overLimit.length;
    for (const { index, reason } of added.overLimit) errors(`line ${batch[index]!.line}: ${reason}`);
  };
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue; // trim() also drops a byte-order mark
    summary.lines += 1;
    const result = parseNdjsonLine(line, validation());
    if (result.ok) {
      pending.push({ line: lineNumber, event: result.event });
      if (pending.length >= PUBLISH_CHUNK_EVENTS) await flush();
    } else {
      summary.refused += 1;
      errors(`line ${lineNumber}: ${result.errors.join('; ')}`);
    }
  }
  await flush();
  return summary;
}

export async function publishAction(file: string | undefined, o: PublishFlags): Promise<void> {
  const config = configOrUsage();
  const input = config && (await inputOrUsage(file));
  if (!config || !input) return;
  const summary: PublishSummary = { published: 0, refused: 0, lines: 0, jobs: 0 };
  const failed = await publishInput(config, input, summary);
  if (failed) {
    process.stderr.write(`publish failed: ${failed.failure}\n`);
    process.stdout.write(
      o.json
        ? `${JSON.stringify({ ...summary, error: failed.failure })}\n`
        : `published ${plural(summary.published, 'event')} before the failure, refused ${summary.refused}\n`,
    );
    process.exitCode = failed.exitCode;
    return;
  }
  process.stdout.write(
    o.json
      ? `${JSON.stringify(summary)}\n`
      : `published ${plural(summary.published, 'event')}, refused ${summary.refused}\n`,
  );
  process.exitCode = summary.refused === 0 ? EXIT.ok : EXIT.refused;
}

type Config = ReturnType<typeof loadConfig>;

/** The configuration, or undefined once the reason is printed (exit code 2). */
function configOrUsage(): Config | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT.usage;
    return undefined;
  }
}

/** The input, or undefined once the reason is printed (exit code 2). */
async function inputOrUsage(file: string | undefined): Promise<Readable | undefined> {
  try {
    return await openInput(file);
  } catch (error) {
    process.stderr.write(`cannot read ${file}: ${(error as Error).message}\n`);
    process.exitCode = EXIT.usage;
    return undefined;
  }
}

/**
 * Publishes the input's valid events (`summary` says how far it got); on a failure, its
 * description and exit code (2 for a refused password or another partition layout).
 */
async function publishInput(
  config: Config,
  input: Readable,
  summary: PublishSummary,
): Promise<{ failure: string; exitCode: number } | undefined> {
  // Connection errors are not printed: stderr holds the refused lines, and a failure rejects
  // the add and ends the command with one message (describeRedisError: never the arguments).
  const quiet = () => {};
  const connection = createRedis(redisEndpoint(config), 'producer', quiet, {
    retryStrategy: commandRetryStrategy,
  });
  const queue = openPartitioned(QUEUES.events, connection, keysOf(config), quiet);
  try {
    // a Redis that cannot be reached fails here with its connection error, not a command's
    await queue.queues[0]!.waitUntilReady();
    await checkLayout(connection, queue.keys);
    await publishStream(
      input,
      // a trace per chunk, its partitions' adds together (a long file is not one endless trace)
      (events) =>
        inSpan('publish', { attributes: { 'folder_sync.events': events.length } }, () =>
          queueValidated(
            queue,
            events.map((event, index) => ({ index, event })),
            accountLimits(config),
          ),
        ),
      (line) => process.stderr.write(`${line}\n`),
      () => eventValidation(config),
      summary,
    );
    return undefined;
  } catch (error) {
    const failure = error instanceof Error ? describeRedisError(error) : String(error);
    const usage = isRedisAuthError(error) || error instanceof LayoutMismatchError;
    return { failure, exitCode: usage ? EXIT.usage : EXIT.failure };
  } finally {
    input.destroy();
    await queue.close().catch(() => {});
    if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
    else connection.disconnect();
  }
}
