import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AccountLimits } from '../events/limits.js';
import { type DomainEvent, isEventType } from '../events/schema.js';
import { parseNdjsonLine, type ValidationContext, validateEvent } from '../events/validate.js';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import { queueValidated } from '../jobs/publish.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { installedTracing } from '../telemetry/installed.js';
import { type ErrorAnswer, type IngestAnswer, MAX_REFUSALS_LISTED, type Refusal } from './answers.js';
import { type Credentials, requireAuth } from './auth.js';

/** Events per POST /v1/events. */
export const MAX_EVENTS_PER_REQUEST = 10_000;

/** "conversation.type: expected …" → {path, reason} */
function splitError(message: string): Refusal['errors'][number] {
  const sep = message.indexOf(': ');
  return sep < 0
    ? { path: '(root)', reason: message }
    : { path: message.slice(0, sep), reason: message.slice(sep + 2) };
}

export interface IngestOptions {
  queue: PartitionedQueue;
  credentials: Credentials;
  maxBytes: number;
  /** the clock and limits events are validated against, for this request */
  validation: () => ValidationContext;
  accountLimits: AccountLimits;
  metrics?: Metrics;
  log: Logger;
  deadlineMs?: number;
}

/**
 * POST /v1/events: a JSON array of events, or NDJSON (one per line). Every event is validated;
 * valid ones are queued, refused ones reported with their index, field path and reason. The
 * answer is 202 only after the valid events are in Redis: a slow Redis makes the request
 * slower (retried up to a deadline), never loses accepted events; past the deadline, 503.
 */
export function ingest(opts: IngestOptions): Hono {
  const app = new Hono();
  // a trace starts here (or continues the client's traceparent), refused requests included
  const tracing = installedTracing();
  if (tracing) app.use('*', tracing.ingest);
  app.use('*', requireAuth(opts.credentials));
  app.post(
    '/',
    bodyLimit({
      maxSize: opts.maxBytes,
      onError: (c) => c.json<ErrorAnswer>({ error: `body over ${opts.maxBytes} bytes` }, 413),
    }),
    (c) => publishBody(c, opts),
  );
  return app;
}

/** Validates the body's events, queues the valid ones and answers with what was refused. */
async function publishBody(c: Context, opts: IngestOptions): Promise<Response> {
  const text = await c.req.text();
  const contentType = c.req.header('content-type') ?? '';
  const items = parseBody(text, contentType, opts.validation());
  if ('error' in items) return c.json<ErrorAnswer>({ error: items.error }, items.status);
  const valid: Array<{ index: number; event: DomainEvent }> = [];
  const refused: Refusal[] = [];
  items.results.forEach((r, index) => {
    if (r.ok) valid.push({ index, event: r.event });
    else refused.push({ index, ...(r.id ? { id: r.id } : {}), errors: r.errors.map(splitError) });
  });
  let queued: Awaited<ReturnType<typeof queueValidated>>;
  try {
    queued = await withDeadline(
      () => queueValidated(opts.queue, valid, opts.accountLimits),
      opts.deadlineMs ?? 10_000,
    );
  } catch (error) {
    opts.log.error({ err: error, events: valid.length }, 'ingest could not queue events');
    return c.json<ErrorAnswer>(
      { error: 'events could not be queued; nothing was accepted, resend (ids make it safe)' },
      503,
      {
        'Retry-After': '5',
      },
    );
  }
  for (const { index, reason } of queued.overLimit) {
    const id = valid.find((v) => v.index === index)?.event.id;
    refused.push({ index, ...(id ? { id } : {}), errors: [splitError(reason)] });
  }
  refused.sort((a, b) => a.index - b.index);
  if (opts.metrics) countOffered(opts.metrics, items.results, valid, queued.overLimit);
  return c.json<IngestAnswer>(
    {
      accepted: queued.accepted,
      refused: refused.slice(0, MAX_REFUSALS_LISTED),
      refusedTotal: refused.length,
    },
    202,
  );
}

/** Each offered event in the metrics, by type: accepted, or refused (invalid, or over a limit). */
function countOffered(
  metrics: Metrics,
  results: readonly Parsed[],
  valid: ReadonlyArray<{ index: number; event: DomainEvent }>,
  overLimit: ReadonlyArray<{ index: number }>,
): void {
  const over = new Set(overLimit.map((o) => o.index));
  for (const v of valid) metrics.eventOffered(v.event.type, over.has(v.index) ? 'refused' : 'accepted');
  for (const r of results) if (!r.ok) metrics.eventOffered(r.type ?? 'invalid', 'refused');
}

type Parsed = { ok: true; event: DomainEvent } | { ok: false; errors: string[]; id?: string; type?: string };

function parseBody(
  text: string,
  contentType: string,
  validation: ValidationContext,
): { results: Parsed[] } | { error: string; status: 400 | 413 } {
  // counted before validating: a small body of tiny invalid items would otherwise cost a
  // huge answer and a long stall of the event loop
  const tooMany = (n: number) =>
    n > MAX_EVENTS_PER_REQUEST
      ? { error: `at most ${MAX_EVENTS_PER_REQUEST} events per request (got ${n})`, status: 413 as const }
      : undefined;
  const trimmed = text.trimStart();
  if (contentType.includes('json') && !contentType.includes('ndjson') && trimmed.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (error) {
      return { error: `body is not JSON: ${(error as Error).message}`, status: 400 };
    }
    const items = list as unknown[];
    return (
      tooMany(items.length) ?? {
        results: items.map((item) => describe(item, validateEvent(item, validation))),
      }
    );
  }
  if (trimmed === '') return { error: 'empty body: send a JSON array of events or NDJSON', status: 400 };
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return (
    tooMany(lines.length) ?? {
      results: lines.map((line) => describe(line, parseNdjsonLine(line, validation))),
    }
  );
}

function describe(raw: unknown, r: ReturnType<typeof validateEvent>): Parsed {
  if (r.ok) return r;
  const obj = typeof raw === 'string' ? safeParse(raw) : raw;
  const id = typeof (obj as { id?: unknown })?.id === 'string' ? (obj as { id: string }).id : undefined;
  const type =
    typeof (obj as { type?: unknown })?.type === 'string' ? (obj as { type: string }).type : undefined;
  // metric label: a known type, else 'invalid' (never free text)
  return {
    ok: false,
    errors: r.errors,
    ...(id ? { id: id.slice(0, 128) } : {}),
    type: isEventType(type) ? type : 'invalid',
  };
}

function safeParse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

async function withDeadline<T>(op: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([op(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
