import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/telemetry/start.js';
import type { Engine } from '../support/engine.js';
import { isRedisSpan, SpanTree, spanId, traceIdOf } from '../support/span-tree.js';

// As the CLI does before a command's action: tracing starts before BullMQ and ioredis load, so
// everything that loads them is imported after it.
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const { Queue } = await import('bullmq');
const { EVENTS_JOB_OPTIONS, JOB_NAMES, QUEUES } = await import('../../src/jobs/queues.js');
const { inSpan, traceCarrier } = await import('../../src/telemetry/api.js');
const { conversationIdsOf } = await import('../../src/simulators/yunxin/existing-conversations.js');
const { ev, startEngine, team } = await import('../support/engine.js');
const { capturedLogger } = await import('../support/log-capture.js');
const { INGEST_TOKEN, startTestServer } = await import('../support/server.js');

let e: Engine;
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  e = await startEngine();
  server = await startTestServer({
    QUEUE_PREFIX: e.config.QUEUE_PREFIX,
    PARTITIONS: String(e.config.PARTITIONS),
  });
});
afterAll(async () => {
  await server?.close();
  await e?.close();
  await tracing.shutdown();
});

/** POST /v1/events, the conversations made to exist in the simulator as the app describes them. */
async function ingest(events: Array<Record<string, unknown>>): Promise<void> {
  e.sim.state.seedConversations(conversationIdsOf(events));
  const res = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(202);
}

/** The finished spans once `account`'s reconciles are over (a job's span ends just after it completes). */
async function spansAfterReconciling(account: string, reconciles = 1): Promise<ReadableSpan[]> {
  await e.idle();
  return e.eventually(() => {
    const spans = exporter.getFinishedSpans();
    const done = spans.filter(
      (s) => s.name === 'reconcile' && s.attributes['folder_sync.account'] === account,
    );
    expect(done).toHaveLength(reconciles);
    // a job's run may also end early, waiting for the account's backlog (moved to delayed): at least one each
    expect(spans.filter((s) => s.name === 'process reconcile').length).toBeGreaterThanOrEqual(reconciles);
    return spans;
  });
}

const ofTrace = (spans: readonly ReadableSpan[], traceId: string) =>
  new SpanTree(spans.filter((s) => traceIdOf(s) === traceId));

/** Under each HTTP client span, what the simulator received for it (matched by traceparent). */
function simulatorRequests(span: ReadableSpan): string[] {
  if (span.kind !== SpanKind.CLIENT || isRedisSpan(span)) return [];
  return e.sim.calls
    .recentCalls()
    .filter((c) => c.traceparent?.split('-')[2] === spanId(span))
    .map((c) => `→ simulator: ${c.endpoint} answered ${c.code}, X-custom-traceid ${c.traceId}`);
}

describe('tracing (OTEL_* set): one trace per event, from ingest to the provider', () => {
  it('follows an event from the ingest POST through both jobs to the Yunxin simulator', async () => {
    exporter.reset();
    e.sim.calls.reset();
    await ingest([ev('conversation.tagged', 'tina', { ...team('acme'), tag: 'customer' })]);
    await e.eventually(() => expect(e.groups('tina')).toEqual({ Customers: ['2|acme'] }));
    const spans = await spansAfterReconciling('tina');

    const ingestSpan = new SpanTree(spans).one('POST /v1/events');
    // BullMQ's stalled-job checks, each worker's every LOCK_MS, start no trace of their own
    const roots = new Set(new SpanTree(spans).children(undefined).map((s) => s.name));
    expect([...roots].filter((name) => name.includes('Stalled'))).toEqual([]);
    const tree = ofTrace(spans, traceIdOf(ingestSpan));
    console.log(
      `The span tree of one event (trace ${traceIdOf(ingestSpan)}):\n${tree.print(simulatorRequests)}`,
    );

    expect(ingestSpan.kind).toBe(SpanKind.SERVER);
    const create = tree.one('yunxin group.create');
    expect(tree.path(create)).toEqual([
      'POST',
      'POST /v1/events',
      // events jobs are added with BullMQ's script but not by BullMQ (src/publisher): no producer
      // span of its own; the job's stored `tm` makes the worker's span a child of the request's
      'process events',
      'addBulk reconcile',
      'process reconcile',
      'reconcile',
      'yunxin group.create',
    ]);
    expect(tree.path(tree.one('fold events'))).toEqual([
      'POST',
      'POST /v1/events',
      // events jobs are added with BullMQ's script but not by BullMQ (src/publisher): no producer
      // span of its own; the job's stored `tm` makes the worker's span a child of the request's
      'process events',
      'fold events',
    ]);
    // ioredis is instrumented: the fold's script runs are spans of the fold
    expect(tree.children(tree.one('fold events')).map((s) => s.name)).toContain('evalsha');

    // every provider request went out in this trace, and the simulator got its id
    const calls = e.sim.calls.recentCalls();
    expect(calls.map((c) => c.endpoint)).toContain('group.create');
    for (const call of calls) expect(call.traceId).toBe(traceIdOf(ingestSpan));
    const [http, ...more] = tree.children(create).filter((s) => !isRedisSpan(s));
    expect(more).toEqual([]);
    expect(http).toMatchObject({ name: 'POST', kind: SpanKind.CLIENT });
    const createCall = calls.find((c) => c.endpoint === 'group.create')!;
    expect(createCall.traceparent).toBe(`00-${traceIdOf(ingestSpan)}-${spanId(http!)}-01`);
  });

  it('a reconcile serving two requests continues the first trace and links to the second', async () => {
    exporter.reset();
    // no reconcile runs until both requests are folded and their reconciles folded into one job
    // (a debounce long enough for two requests in a row is not, on a loaded machine)
    const reconcilers = e.workers.workers.filter((w) => w.name === QUEUES.reconcile);
    await Promise.all(reconcilers.map((w) => w.pause(true)));
    await ingest([ev('conversation.tagged', 'lena', { ...team('x1'), tag: 'customer' })]);
    await ingest([ev('conversation.tagged', 'lena', { ...team('x2'), tag: 'customer' })]);
    await e.eventually(async () => {
      const counts = await e.events.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    });
    for (const w of reconcilers) w.resume();
    await e.eventually(() => expect(e.groups('lena')).toEqual({ Customers: ['2|x1', '2|x2'] }));
    const spans = await spansAfterReconciling('lena');

    const [first, second] = new SpanTree(spans).spans
      .filter((s) => s.name === 'POST /v1/events')
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    const reconcile = new SpanTree(spans).one('reconcile');
    expect(traceIdOf(reconcile)).toBe(traceIdOf(first!));
    expect(reconcile.links.map((l) => l.context.traceId)).toEqual([traceIdOf(second!)]);
    // the second trace ends at its reconcile job's add, which BullMQ folded into the first's
    expect(ofTrace(spans, traceIdOf(second!)).spans.map((s) => s.name)).not.toContain('process reconcile');
  });

  it('a job whose stored options hold tm = traceCarrier() continues the trace (how to publish without BullMQ)', async () => {
    exporter.reset();
    e.sim.calls.reset();
    expect(traceCarrier()).toBeUndefined();
    const event = ev('conversation.tagged', 'nina', { ...team('y'), tag: 'customer' });
    e.sim.state.seedConversations(conversationIdsOf([event]));
    // a queue without BullMQ's telemetry, as a publisher that writes jobs itself
    const prefix = e.events.of('nina').opts.prefix!;
    const queue = new Queue(QUEUES.events, { connection: e.redis, prefix });
    const app = trace.getTracer('test');
    const { traceId, publishSpan } = await app.startActiveSpan('app publishes', async (span) => {
      const tm = traceCarrier();
      expect(tm).toBe(
        JSON.stringify({ traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01` }),
      );
      const job = await queue.add(
        JOB_NAMES.events,
        { events: [event] },
        { ...EVENTS_JOB_OPTIONS, telemetry: { metadata: tm } },
      );
      // the field a publisher writes into the job's stored options
      const stored = JSON.parse((await e.redis.hget(`${prefix}:${QUEUES.events}:${job.id}`, 'opts')) ?? '{}');
      expect(stored.tm).toBe(tm);
      span.end();
      return { traceId: span.spanContext().traceId, publishSpan: span.spanContext().spanId };
    });
    await queue.close();
    await e.eventually(() => expect(e.groups('nina')).toEqual({ Customers: ['2|y'] }));
    const tree = ofTrace(await spansAfterReconciling('nina'), traceId);

    const processEvents = tree.one('process events');
    expect(processEvents.parentSpanContext?.spanId).toBe(publishSpan);
    expect(tree.path(tree.one('yunxin group.create'))).toEqual([
      'app publishes',
      'process events',
      'addBulk reconcile',
      'process reconcile',
      'reconcile',
      'yunxin group.create',
    ]);
    for (const call of e.sim.calls.recentCalls()) expect(call.traceId).toBe(traceId);
  });

  it('log lines written inside a span carry its trace_id and span_id', async () => {
    const { logger, text } = capturedLogger({ level: 'info' });
    logger.info('outside');
    const ids = await inSpan('logging', {}, async (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    const [outside, inside] = text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(outside).not.toHaveProperty('trace_id');
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });
});
