/**
 * Bad input. Malformed events (./malformed.ts) interleaved with valid ones are posted to a real
 * server's ingest (test/support/server.ts) while a `folder-sync worker` process folds what is
 * accepted: each malformed event is refused with its index, the field path and a reason; the
 * valid events of the same request land exactly (model check); the worker stays up and still
 * reconciles afterwards. Arbitrary bodies are answered 202/400/413 — never 5xx — with a JSON
 * error, and a body of many tiny items is refused up front rather than answered at length. A
 * job with a malformed event put straight into the events queue (bypassing validation) loses
 * only that event.
 */
import { get as httpGet } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/events/validate.js';
import { MAX_REFUSALS_LISTED } from '../../src/http/answers.js';
import { MAX_EVENTS_PER_REQUEST } from '../../src/http/ingest.js';
import { JOB_NAMES } from '../../src/jobs/queues.js';
import { MAX_RULE_DEPTH } from '../../src/rules/limits.js';
import { type Engine, ev, team } from '../support/engine.js';
import { type Spawned, spawnCli } from '../support/processes.js';
import { INGEST_TOKEN, type ServerHarness, startTestServer } from '../support/server.js';
import { WorkerProcesses, workerEnv } from '../support/worker-processes.js';
import { dumpTails, seedFrom, startRateLimitedEngine, subjectOf } from './harness.js';
import { expectInvariants } from './invariants.js';
import { deepRule, type Malformed, malformedEvent, namesTheProblem, splitError } from './malformed.js';
import type { Event } from './model.js';
import { PROFILE, report, scenarioRandom } from './profile.js';
import { makeWorkload, shuffle } from './workload.js';

let engine: Engine | undefined;
let server: ServerHarness | undefined;
const procs = new WorkerProcesses();

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') dumpTails([...procs.outputs(), server?.logs() ?? '']);
  await procs.stopAll();
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
  await server?.close();
  server = undefined;
  await engine?.close();
  engine = undefined;
});

const RATE = 100;
const spawned: Spawned[] = [];

/** GET /healthz on a fresh connection (no keep-alive race with a server that was busy). */
function healthz(url: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpGet(`${url}/healthz`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
    });
    req.on('error', reject);
  });
}
const jsonSafe = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

interface Answer {
  status: number;
  body: {
    accepted?: number;
    refused?: Array<{ index: number; id?: string; errors: Array<{ path: string; reason: string }> }>;
    refusedTotal?: number;
    error?: string;
  };
  ms: number;
  bytes: number;
}

async function post(url: string, body: string | Uint8Array, contentType: string): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    body,
    headers: {
      authorization: `Bearer ${INGEST_TOKEN}`,
      ...(contentType ? { 'content-type': contentType } : {}),
    },
  });
  const text = await res.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    throw new Error(`answer ${res.status} is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed, ms: Date.now() - started, bytes: text.length };
}

async function startStack(rand: () => number, maxBytes = String(16 * 1024 * 1024)) {
  const e = await startRateLimitedEngine(RATE, { noWorkers: true, seed: seedFrom(rand) });
  engine = e;
  server = await startTestServer({
    REDIS_URL: e.config.REDIS_URL,
    QUEUE_PREFIX: e.config.QUEUE_PREFIX,
    PARTITIONS: String(e.config.PARTITIONS),
    INGEST_MAX_BYTES: maxBytes,
  });
  const worker = await procs.start(workerEnv(e.config));
  return { e, server, worker };
}

describe('bad input', () => {
  it('every malformed event is refused naming the field and the reason', () => {
    const rand = scenarioRandom('bad-input/events');
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(malformedEvent, (m) => {
        const result = validateEvent(jsonSafe(m.value));
        if (result.ok) throw new Error(`${m.kind} accepted: ${JSON.stringify(m.value).slice(0, 300)}`);
        const errors = result.errors.map(splitError);
        for (const e of errors) expect(e.reason.length + e.path.length).toBeLessThanOrEqual(500);
        if (!namesTheProblem(m, errors)) {
          throw new Error(`${m.kind}: expected a problem at ${m.path}, got ${JSON.stringify(result.errors)}`);
        }
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      }),
      { seed: seedFrom(rand), numRuns: PROFILE.badInput.runs * 4 },
    );
    // a rule one level past the limit, through every combinator
    for (const via of ['not', 'all', 'any'] as const) {
      const event = {
        id: 'deep',
        type: 'folder.upserted',
        account: 'a',
        at: 1,
        folder: { id: 'f', name: 'F', rule: deepRule(MAX_RULE_DEPTH + 1, via) },
      };
      const result = validateEvent(event);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).toContain(`rule nested too deeply; at most ${MAX_RULE_DEPTH} levels`);
      expect(
        validateEvent({ ...event, folder: { ...event.folder, rule: deepRule(MAX_RULE_DEPTH, via) } }).ok,
      ).toBe(true);
    }
    report('bad-input/events', { kinds: Object.fromEntries(kinds) });
  });

  it('malformed events among valid ones over HTTP: refused with index, path and reason; the valid ones land; the worker stays up', async () => {
    const rand = scenarioRandom('bad-input/streams');
    const { e, server, worker } = await startStack(rand);
    const workload = makeWorkload({
      label: 'bad',
      accounts: 8,
      bursts: PROFILE.badInput.streams - 1,
      random: rand,
    });
    const samples = fc.sample(malformedEvent, { seed: seedFrom(rand), numRuns: PROFILE.badInput.runs });
    const published: Event[] = [];
    let refusedTotal = 0;
    let unparseable = 0;
    for (const [s, burst] of workload.bursts.entries()) {
      const ndjson = s % 2 === 1;
      // the valid events of this burst, with malformed ones slipped in between
      const bad = samples.splice(0, Math.ceil(PROFILE.badInput.runs / workload.bursts.length));
      type Item = { valid: Event } | { bad: Malformed } | { broken: string };
      const items: Item[] = shuffle(
        [
          ...burst.map((valid) => ({ valid })),
          ...bad.map((m) => ({ bad: m })),
          ...(ndjson
            ? ['{broken', '{"id": "x",', '\u0000\u0001', 'undefined'].map((broken) => ({ broken }))
            : []),
        ],
        rand,
      );
      // requests of at most 200 items, so some go out while the worker folds earlier ones
      for (let from = 0; from < items.length; from += 200) {
        const chunk = items.slice(from, from + 200);
        const lines = chunk.map((i) =>
          'valid' in i ? JSON.stringify(i.valid) : 'bad' in i ? JSON.stringify(i.bad.value) : i.broken,
        );
        const res = ndjson
          ? await post(server.url, lines.join('\n'), 'application/x-ndjson')
          : await post(server.url, `[${lines.join(',')}]`, 'application/json');
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(202);
        const valid = chunk.filter((i) => 'valid' in i).map((i) => (i as { valid: Event }).valid);
        expect(res.body.accepted).toBe(valid.length);
        published.push(...valid);
        const refused = new Map((res.body.refused ?? []).map((r) => [r.index, r]));
        chunk.forEach((item, index) => {
          const r = refused.get(index);
          if ('valid' in item) {
            expect(r, `valid event at ${index} refused: ${JSON.stringify(r)}`).toBeUndefined();
            return;
          }
          expect(r, `malformed item at ${index} accepted`).toBeDefined();
          expect(r!.errors.length).toBeGreaterThan(0);
          for (const err of r!.errors) {
            expect(err.path).not.toBe('');
            expect(err.reason.trim()).not.toBe('');
          }
          if ('bad' in item) {
            if (!namesTheProblem(item.bad, r!.errors)) {
              throw new Error(
                `${item.bad.kind}: expected ${item.bad.path}, got ${JSON.stringify(r!.errors)}`,
              );
            }
          } else {
            unparseable++;
            expect(r!.errors[0]!.path).toBe('not JSON');
          }
        });
        refusedTotal += refused.size;
      }
    }
    // the worker stayed up and still reconciles: a fresh event lands
    const after = ev('conversation.tagged', 'bad-after', { ...team('fresh'), tag: 'customer' });
    expect((await post(server.url, JSON.stringify([after]), 'application/json')).body.accepted).toBe(1);
    published.push(after);
    await e.eventually(() => expect(e.groups('bad-after')).toEqual({ Customers: ['2|fresh'] }), 30_000);
    expect(worker.child.exitCode).toBeNull();
    expect(procs.outputs()).toHaveLength(1);

    const result = await expectInvariants(subjectOf(e, procs), published, { rate: RATE, timeoutMs: 60_000 });
    report('bad-input/streams', {
      requests: 'json and ndjson',
      valid: published.length,
      refused: refusedTotal,
      unparseableLines: unparseable,
      groups: result.groups,
      calls: result.stats.total,
    });
  });

  it('arbitrary bodies are answered 202, 400 or 413 with a JSON answer, never a 5xx; the server stays up', async () => {
    const rand = scenarioRandom('bad-input/bodies');
    const { server } = await startStack(rand, '65536');
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/x-ndjson',
      'text/plain',
      '',
    );
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc.array(fc.json({ maxDepth: 2 }), { maxLength: 20 }).map((a) => JSON.stringify(a)),
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom(
        '',
        '[',
        '[1,2',
        ']',
        '[]',
        '{}',
        'null',
        '\n\n\n',
        '{\n  "id": "pretty",\n  "type": "account.resync"\n}',
        `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
        `[${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}]`,
        'x'.repeat(70_000),
      ),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, contentType, async (b, ct) => {
        const res = await post(server.url, b, ct);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect([202, 400, 413]).toContain(res.status);
        if (res.status === 202) {
          expect(res.body.accepted).toBe(0);
          for (const r of res.body.refused ?? []) {
            expect(Number.isInteger(r.index)).toBe(true);
            expect(r.errors.length).toBeGreaterThan(0);
            for (const err of r.errors) expect(err.reason.trim()).not.toBe('');
          }
        } else {
          expect(typeof res.body.error).toBe('string');
          expect(res.body.error!.length).toBeGreaterThan(0);
        }
      }),
      { seed: seedFrom(rand), numRuns: PROFILE.badInput.runs },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    report('bad-input/bodies', { statuses: Object.fromEntries(statuses) });
  });

  it('tiny items up to INGEST_MAX_BYTES: over 10 000 events are refused up front (413), 10 000 are answered quickly; `serve` stays responsive', async () => {
    const rand = scenarioRandom('bad-input/amplification');
    const e = await startRateLimitedEngine(RATE, { noWorkers: true, seed: seedFrom(rand) });
    engine = e;
    const maxBytes = PROFILE.badInput.bigBody; // full: 1 MiB, the default INGEST_MAX_BYTES
    // the real `folder-sync serve` process: the test's own event loop stays out of the measurement
    const serve = spawnCli(['serve'], {
      ...workerEnv(e.config, { LOG_LEVEL: 'info' }),
      HTTP_PORT: '0',
      INGEST_TOKEN,
      INGEST_MAX_BYTES: String(maxBytes),
    });
    spawned.push(serve);
    const url = (JSON.parse(await serve.waitFor(/HTTP server listening/, 30_000)) as { url: string }).url;
    const tiny = (n: number) => `[${Array.from({ length: n }, () => '1').join(',')}]`;

    /** posts, probing /healthz again and again meanwhile: how long the event loop is held */
    const measured = async (body: string) => {
      let done = false;
      const answer = post(url, body, 'application/json').finally(() => {
        done = true;
      });
      let healthMs = 0;
      while (!done) {
        const probe = await healthz(url);
        expect(probe.status).toBe(200);
        healthMs = Math.max(healthMs, probe.ms);
      }
      return { ...(await answer), healthMs };
    };

    // It was a 202 with one refusal per item: a 1 MiB body gave a 50 MB answer and held the
    // event loop for 4–9 s (docs/reliability.md, "Findings" 6).
    const all = maxBytes / 2 - 1;
    const big = await measured(tiny(all));
    expect(big.status).toBe(413);
    expect(big.body.error).toContain(`at most ${MAX_EVENTS_PER_REQUEST} events per request`);
    const most = await measured(tiny(MAX_EVENTS_PER_REQUEST));
    expect(most.status).toBe(202);
    // the first 100 refusals are listed, and the total
    expect(most.body.refused).toHaveLength(MAX_REFUSALS_LISTED);
    expect(most.body.refusedTotal).toBe(MAX_EVENTS_PER_REQUEST);
    for (const m of [big, most]) expect(m.healthMs).toBeLessThan(2000);
    expect(serve.child.exitCode).toBeNull();
    report('bad-input/amplification', {
      items: all,
      requestBytes: all * 2 + 1,
      answer: `${big.status} in ${big.ms} ms`,
      slowestHealthzMs: big.healthMs,
      [`items${MAX_EVENTS_PER_REQUEST}`]: `${most.status}, ${most.bytes} bytes in ${most.ms} ms, slowest /healthz ${most.healthMs} ms`,
    });
  });

  it('a malformed event in a job put straight into the events queue is skipped; the rest of the job lands', async () => {
    const rand = scenarioRandom('bad-input/raw-job');
    const { e, worker } = await startStack(rand);
    const good = ev('conversation.tagged', 'raw', { ...team('ok'), tag: 'customer' });
    // written by something other than the publisher: not validated, no conversation
    const broken = { id: 'raw-broken', type: 'conversation.tagged', account: 'raw', at: 1, tag: 'customer' };
    await e.events.of('raw').add(JOB_NAMES.events, { events: [broken, good] });
    await e.eventually(() => expect(e.groups('raw')).toEqual({ Customers: ['2|ok'] }), 20_000);
    await worker.waitFor(/skipped invalid events in an events job/, 10_000);
    const later = ev('conversation.tagged', 'raw', { ...team('later'), tag: 'customer' });
    expect((await e.publish([later])).accepted).toBe(1);
    await e.eventually(() => expect(e.groups('raw')).toEqual({ Customers: ['2|later', '2|ok'] }), 20_000);
    expect((await e.events.getJobCounts('failed'))['failed']).toBe(0);
    expect(worker.child.exitCode).toBeNull();
    report('bad-input/raw-job', { skipped: 1, landed: 2 });
  });
});
