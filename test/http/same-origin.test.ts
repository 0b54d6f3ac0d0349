import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { createRedis } from '../../src/jobs/connection.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import { basic, DASHBOARD_PASSWORD, type ServerHarness, startTestServer } from '../support/server.js';

/**
 * CSRF (issue 11): the dashboard refuses writes that a browser makes for another site, even with
 * valid credentials, and nothing reaches the queues; its own page, and clients that are not
 * browsers, still write. undici's `request` sends exactly the headers given (fetch adds its own,
 * and will not let a test set `Host`). `serve` runs no workers, so planted jobs stay where they are.
 */

const AUTH = basic('admin', DASHBOARD_PASSWORD);
const API = '/admin/queues/api/queues';

let h: ServerHarness;
let redis: Redis;
let events: Queue;
let plantedId = '';

beforeAll(async () => {
  h = await startTestServer();
  redis = createRedis(h.config.REDIS_URL, 'producer', () => {});
  events = openQueue(QUEUES.events, redis, keysOf(h.config).parts[0]!.prefix, () => {});
  const planted = await events.add('planted', { events: [], note: 'must not change' });
  plantedId = planted.id!;
});
afterAll(async () => {
  await events?.close();
  redis?.disconnect();
  await h?.close();
});

async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; json: unknown }> {
  const res = await request(`${h.url}${path}`, {
    method: method as 'GET',
    headers: { authorization: AUTH, ...headers },
    body,
  });
  const json = String(res.headers['content-type']).startsWith('application/json');
  return { status: res.statusCode, json: json ? await res.body.json() : await res.body.text() };
}

/** What a page of another site can send: a text/plain form body that happens to be JSON. */
const ADD_BODY = JSON.stringify({ name: 'csrf', data: { events: [] } });

/** Every kind of write the board has, with the request a cross-site page would make. */
const WRITES: ReadonlyArray<[method: string, path: () => string, body?: string]> = [
  ['POST', () => `${API}/events/add`, ADD_BODY],
  ['PUT', () => `${API}/events/pause`],
  ['PUT', () => `${API}/events/empty`],
  ['PATCH', () => `${API}/events/${plantedId}/update-data`, JSON.stringify({ data: { changed: true } })],
  ['DELETE', () => `${API}/events/${plantedId}`],
];

/** The queue as a test compares it before and after: counts, paused, the planted job's data. */
async function snapshot() {
  const job = await events.getJob(plantedId);
  return { counts: await events.getJobCounts(), paused: await events.isPaused(), data: job?.data };
}

describe('dashboard writes from another site', () => {
  const ownOrigin = () => new URL(h.url).origin;
  const otherPort = () => `http://127.0.0.1:${Number(new URL(h.url).port) + 1}`;

  it.each([
    ['another site in Origin', () => ({ origin: 'http://evil.example' }), 'Origin http://evil.example'],
    ['Origin: null (sandboxed frame, data: URL)', () => ({ origin: 'null' }), 'Origin is null'],
    ['another port of the same host in Origin', () => ({ origin: otherPort() }), 'Origin http://127.0.0.1:'],
    ['https instead of http in Origin', () => ({ origin: ownOrigin().replace('http:', 'https:') }), 'https:'],
    [
      'Sec-Fetch-Site: cross-site',
      () => ({ 'sec-fetch-site': 'cross-site' }),
      'Sec-Fetch-Site is cross-site',
    ],
    [
      'Sec-Fetch-Site: same-site (a sibling subdomain is another origin)',
      () => ({ 'sec-fetch-site': 'same-site', origin: 'http://other.dash.example' }),
      'Sec-Fetch-Site is same-site',
    ],
    [
      // Sec-Fetch-Site decides when the browser sends it, whatever Origin says
      'Sec-Fetch-Site: cross-site with a matching Origin',
      () => ({ 'sec-fetch-site': 'cross-site', origin: ownOrigin() }),
      'Sec-Fetch-Site is cross-site',
    ],
  ])(
    'refuses %s: 403 naming the reason, for every write, and nothing changes',
    async (_, headers, reason) => {
      const before = await snapshot();
      for (const [method, path, body] of WRITES) {
        const res = await send(method, path(), { 'content-type': 'text/plain', ...headers() }, body);
        expect(res.status, `${method} ${path()}`).toBe(403);
        expect(res.json).toEqual({
          error: 'cross-site request refused',
          reason: expect.stringContaining(reason),
        });
      }
      expect(await snapshot()).toEqual(before);
      expect(before.counts.waiting).toBeGreaterThanOrEqual(1);
    },
  );

  it('refuses a cross-site write without credentials with 403, not a 401 challenge', async () => {
    const res = await request(`${h.url}${API}/events/add`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
      body: ADD_BODY,
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBeUndefined();
    await res.body.dump();
  });

  it('never refuses a read', async () => {
    const crossSite: Record<string, string>[] = [
      { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of crossSite) {
      for (const path of ['/admin/queues', API, `${API}/events/${plantedId}`]) {
        expect((await send('GET', path, headers)).status, `GET ${path}`).toBe(200);
      }
      expect((await send('HEAD', '/admin/queues', headers)).status).toBe(200);
    }
  });
});

describe('dashboard writes from its own page, and from clients that are not browsers', () => {
  it.each([
    ['the same Origin', () => ({ origin: new URL(h.url).origin })],
    [
      'Sec-Fetch-Site: same-origin',
      () => ({ 'sec-fetch-site': 'same-origin', origin: new URL(h.url).origin }),
    ],
    ['Sec-Fetch-Site: none (typed by the user)', () => ({ 'sec-fetch-site': 'none' })],
    ['neither header (curl, a script)', () => ({})],
    [
      // TLS ends at the proxy: the server sees http and maybe its own Host, the browser https
      'Origin matching X-Forwarded-Proto and X-Forwarded-Host of a reverse proxy',
      () => ({
        origin: 'https://dash.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'dash.example.com',
      }),
    ],
    [
      'Origin matching a Host a reverse proxy passed on (case and default port aside)',
      () => ({ origin: 'http://dash.example.com', host: 'Dash.Example.com:80' }),
    ],
  ])('allows %s', async (_, headers) => {
    const before = await events.getJobCounts();
    const res = await send(
      'POST',
      `${API}/events/add`,
      { 'content-type': 'application/json', ...headers() },
      ADD_BODY,
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ job: { name: 'csrf' }, status: 'waiting' });
    expect((await events.getJobCounts()).waiting).toBe(before.waiting! + 1);
  });

  it('refuses an Origin that only a Host the proxy did not pass on would match', async () => {
    // the proxy rewrote Host to the upstream's address and said nothing else: refused, safely
    const res = await send(
      'POST',
      `${API}/events/add`,
      { origin: 'https://dash.example.com', host: '10.0.0.5:8080' },
      ADD_BODY,
    );
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({
      reason: "Origin https://dash.example.com is not this server's http://10.0.0.5:8080",
    });
  });

  it('leaves read-only mode to bull-board: a same-origin write is 405 there', async () => {
    const ro = await startTestServer({ DASHBOARD_READ_ONLY: 'true' });
    try {
      const res = await request(`${ro.url}${API}/events/pause`, {
        method: 'PUT',
        headers: { authorization: AUTH, origin: new URL(ro.url).origin },
      });
      expect(res.statusCode).toBe(405);
      await res.body.dump();
    } finally {
      await ro.close();
    }
  });
});
