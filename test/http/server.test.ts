import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { createRedis } from '../../src/jobs/connection.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import {
  basic,
  DASHBOARD_PASSWORD,
  DASHBOARD_TOKEN,
  INGEST_TOKEN,
  type ServerHarness,
  startTestServer,
} from '../support/server.js';

let h: ServerHarness;
beforeAll(async () => {
  h = await startTestServer({ INGEST_MAX_BYTES: '4096' });
});
afterAll(() => h?.close());

const valid = (i: number) => ({
  id: `http-${i}`,
  type: 'conversation.pinned',
  account: 'alice',
  at: 1_763_700_000_000 + i,
  conversation: { type: 2, target: `team-${i}` },
});
const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.url}/v1/events`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json', ...headers },
  });

describe('health', () => {
  it('/healthz answers while alive; /readyz checks Redis', async () => {
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: true } });
  });

  it('/readyz is 503 when Redis does not answer', async () => {
    const down = await startTestServer({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await fetch(`${down.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ checks: { redis: false } });
    } finally {
      await down.server.close().catch(() => {});
    }
  }, 20_000);
});

describe('dashboard authentication', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong password', { authorization: basic('admin', 'wrong-password') }],
    ['a wrong user', { authorization: basic('root', DASHBOARD_PASSWORD) }],
    ['a wrong token', { authorization: 'Bearer not-the-token-at-all' }],
    ['the ingest token', { authorization: `Bearer ${INGEST_TOKEN}` }],
  ])('refuses %s with 401 and a challenge', async (_, headers) => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await fetch(`${h.url}${path}`, { headers });
      expect(res.status).toBe(401);
    }
    const res = await fetch(`${h.url}/admin/queues`, { headers });
    expect(res.headers.get('www-authenticate')).toContain('Basic realm=');
  });

  it('accepts the password or the token and lists every product queue', async () => {
    // auth schemes are case-insensitive (RFC 9110)
    const lowerBasic = basic('admin', DASHBOARD_PASSWORD).replace('Basic', 'basic');
    for (const authorization of [
      basic('admin', DASHBOARD_PASSWORD),
      `Bearer ${DASHBOARD_TOKEN}`,
      lowerBasic,
      `BEARER ${DASHBOARD_TOKEN}`,
    ]) {
      const page = await fetch(`${h.url}/admin/queues`, { headers: { authorization } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const api = (await (
        await fetch(`${h.url}/admin/queues/api/queues`, { headers: { authorization } })
      ).json()) as {
        queues: Array<{ name: string }>;
      };
      expect(api.queues.map((q) => q.name).sort()).toEqual(['events', 'maintenance', 'reconcile']);
    }
  });

  it('read-only mode refuses writes with 405', async () => {
    const ro = await startTestServer({ DASHBOARD_READ_ONLY: 'true' });
    const rw = h;
    try {
      for (const [server, expected] of [
        [ro, 405],
        [rw, 200],
      ] as const) {
        const res = await fetch(`${server.url}/admin/queues/api/queues/events/pause`, {
          method: 'PUT',
          headers: { authorization: basic('admin', DASHBOARD_PASSWORD) },
        });
        expect(res.status).toBe(expected);
      }
      await fetch(`${rw.url}/admin/queues/api/queues/events/resume`, {
        method: 'PUT',
        headers: { authorization: basic('admin', DASHBOARD_PASSWORD) },
      });
    } finally {
      await ro.close();
    }
  });

  it('with no credential configured, refuses everyone', async () => {
    const open = await startTestServer({ DASHBOARD_PASSWORD: '', DASHBOARD_TOKEN: '' });
    try {
      expect((await fetch(`${open.url}/admin/queues`)).status).toBe(401);
      expect(
        (await fetch(`${open.url}/admin/queues`, { headers: { authorization: basic('admin', '') } })).status,
      ).toBe(401);
      expect(open.logs()).toContain('the dashboard refuses everyone');
    } finally {
      await open.close();
    }
  });
});

describe('POST /v1/events', () => {
  it('needs the bearer token', async () => {
    expect((await post('[]', { authorization: '' })).status).toBe(401);
    expect((await post('[]', { authorization: `Bearer ${DASHBOARD_TOKEN}` })).status).toBe(401);
  });

  it('takes a JSON array: 202 with the accepted count, and index + field path + reason for refused ones', async () => {
    const body = JSON.stringify([
      valid(1),
      { ...valid(2), conversation: { type: 9, target: 'x' } },
      valid(3),
      'nope',
    ]);
    const res = await post(body);
    expect(res.status).toBe(202);
    const json = (await res.json()) as {
      accepted: number;
      refused: Array<{ index: number; id?: string; errors: unknown[] }>;
    };
    expect(json.accepted).toBe(2);
    expect(json.refused.map((r) => [r.index, r.id])).toEqual([
      [1, 'http-2'],
      [3, undefined],
    ]);
    expect(json.refused[0]!.errors).toEqual([
      { path: 'conversation.type', reason: expect.stringContaining('got 9') },
    ]);
    const redis = createRedis(h.config.REDIS_URL, 'producer', () => {});
    const queue = openQueue(QUEUES.events, redis, keysOf(h.config).parts[0]!.prefix, () => {});
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.flatMap((j) => j.data.events.map((e: { id: string }) => e.id))).toEqual(['http-1', 'http-3']);
    await queue.close();
    redis.disconnect();
  });

  it('takes NDJSON, line by line', async () => {
    const res = await post([valid(10), valid(11)].map((e) => JSON.stringify(e)).join('\n') + '\n{broken\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      accepted: 2,
      refused: [{ index: 2, errors: [{ path: 'not JSON' }] }],
    });
  });

  it('lists the first 100 refusals and the total, so 10,000 bad events cannot make a huge answer', async () => {
    const res = await post(Array.from({ length: 150 }, () => '1').join('\n'), {
      'content-type': 'application/x-ndjson',
    });
    expect(res.status).toBe(202);
    const json = (await res.json()) as {
      accepted: number;
      refused: Array<{ index: number }>;
      refusedTotal: number;
    };
    expect(json.accepted).toBe(0);
    expect(json.refusedTotal).toBe(150);
    expect(json.refused.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('refuses a body over INGEST_MAX_BYTES with 413', async () => {
    const big = JSON.stringify(Array.from({ length: 60 }, (_, i) => valid(100 + i)));
    expect(big.length).toBeGreaterThan(4096);
    const res = await post(big);
    expect(res.status).toBe(413);
  });

  it('counts accepted and refused events by type in /metrics', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/folder_sync_events_total\{type="conversation.pinned",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/folder_sync_events_total\{type="conversation.pinned",outcome="refused"\} 1/);
    expect(text).toMatch(/folder_sync_queue_jobs\{queue="events",state="waiting"\} [1-9]/);
    for (const name of [
      'folder_sync_reconciles_total',
      'folder_sync_reconcile_duration_seconds',
      'folder_sync_provider_calls_total',
      'folder_sync_rate_limit_pauses_total',
      'folder_sync_items_total',
      'folder_sync_accounts_out_of_sync',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });
});
