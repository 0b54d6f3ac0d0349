import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { createRedis } from '../../src/jobs/connection.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import { browserSkipReason, launchChromium } from '../support/browser.js';
import { dashboardContext } from '../support/dashboard-browser.js';
import { DASHBOARD_PASSWORD, type ServerHarness, startTestServer } from '../support/server.js';

/**
 * CSRF in a real browser (issue 11). The browser context holds the dashboard's Basic credentials
 * (it has just shown the board); a page served by another origin then tries to add a job (a
 * text/plain form POST whose body is JSON, a `no-cors` fetch with credentials), to retry and to
 * clean failed jobs. Nothing may change in Redis. The board's own page still adds, retries and
 * cleans. `serve` runs no workers, so every job stays where the test put it.
 *
 * Two attacking origins: 127.0.0.1 on another port (same site, another origin: Chromium sends
 * the cached credentials along, and before the check its form POST and fetch added jobs) and
 * localhost (another site: Chromium sends it no credentials, a choice of that browser the board
 * must not depend on).
 */

const CREDENTIALS = { username: 'admin', password: DASHBOARD_PASSWORD };
const skipReason = browserSkipReason();
if (skipReason) console.warn(skipReason);

let h: ServerHarness | undefined;
let redis: Redis | undefined;
let events: Queue | undefined;
let maintenance: Queue | undefined;
let elsewhere: Server | undefined;
let browser: Browser | undefined;
let base = '';
/** failed jobs in `maintenance`: two for the attacks, two for the board's own page */
const planted = {} as Record<'attackRetry' | 'attackClean' | 'ownRetry' | 'ownClean', Job>;

/** A failed job, made by hand (a worker without a processor takes it and fails it). */
async function plantFailed(queue: Queue, worker: Worker, name: string): Promise<Job> {
  await queue.add(name, { planted: true });
  const job = await worker.getNextJob('plant-token');
  if (job?.name !== name) throw new Error(`expected to take ${name}, took ${job?.name}`);
  await job.moveToFailed(new Error(`planted failure: ${name}`), 'plant-token');
  return job;
}

/** What an attempt could change: every queue's counts and the planted jobs' states. */
async function snapshot() {
  return {
    events: await events!.getJobCounts(),
    maintenance: await maintenance!.getJobCounts(),
    planted: Object.fromEntries(
      await Promise.all(Object.entries(planted).map(async ([k, j]) => [k, await j.getState()] as const)),
    ),
  };
}

/**
 * Another origin's page: a frame for form posts to land in (so the page stays), and a form the
 * way another site would post it: text/plain, its one field spelling JSON when sent as
 * `name=value`: {"name":"csrf-form","data":{"pad":"="}}.
 */
const ELSEWHERE_PAGE = `<!doctype html><title>elsewhere</title><iframe name="sink"></iframe>
<script>
function post(action) {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = action;
  form.enctype = 'text/plain';
  form.target = 'sink';
  const field = document.createElement('input');
  field.name = '{"name":"csrf-form","data":{"pad":"';
  field.value = '"}}';
  form.append(field);
  document.body.append(form);
  form.submit();
}
</script>`;

function startElsewhere(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(ELSEWHERE_PAGE);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Posts the page's form to `url`; resolves to the text of the answer, once it has landed. */
async function formPost(page: Page, url: string): Promise<string> {
  const landed = page.waitForEvent('framenavigated', (f) => f.name() === 'sink' && f.url() === url);
  await page.evaluate(`post(${JSON.stringify(url)})`);
  const frame = await landed;
  return frame.locator('body').innerText();
}

/** A fetch from the page; resolves to what the page learns (opaque, a status, or the error). */
/** What the page's fetch is given: the plain parts of a RequestInit (it crosses into the page as JSON). */
interface PageFetchInit {
  method?: string;
  mode?: 'cors' | 'no-cors' | 'same-origin';
  credentials?: 'include' | 'omit' | 'same-origin';
  headers?: Record<string, string>;
  body?: string;
}

function pageFetch(page: Page, url: string, init: PageFetchInit): Promise<string> {
  return page.evaluate(
    async ([u, i]) => {
      try {
        const res = await fetch(u, i);
        return res.type === 'opaque' ? 'opaque' : `status ${res.status}`;
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    },
    [url, init] as const,
  );
}

describe.skipIf(skipReason !== undefined)(
  skipReason ? `dashboard CSRF in headless Chromium (${skipReason})` : 'dashboard CSRF in headless Chromium',
  () => {
    beforeAll(async () => {
      h = await startTestServer();
      base = h.url;
      redis = createRedis(h.config.REDIS_URL, 'producer', () => {});
      events = openQueue(QUEUES.events, redis, keysOf(h.config).parts[0]!.prefix, () => {});
      maintenance = openQueue(QUEUES.maintenance, redis, h.config.QUEUE_PREFIX, () => {});
      const worker = new Worker(QUEUES.maintenance, null, {
        connection: createRedis(h.config.REDIS_URL, 'worker', () => {}),
        prefix: h.config.QUEUE_PREFIX,
        autorun: false,
      });
      try {
        for (const key of ['attackRetry', 'attackClean', 'ownRetry', 'ownClean'] as const) {
          planted[key] = await plantFailed(maintenance, worker, `planted-${key}`);
        }
      } finally {
        await worker.close();
      }
      expect(await maintenance.getJobCounts()).toMatchObject({ failed: 4, waiting: 0 });
      elsewhere = await startElsewhere();
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((done) => (elsewhere ? elsewhere.close(done) : done(undefined)));
      await events?.close();
      await maintenance?.close();
      redis?.disconnect();
      await h?.close(); // deletes every key under the test's prefix
    }, 60_000);

    it.each([
      ['127.0.0.1 on another port (same site, another origin)', '127.0.0.1'],
      ['localhost (another site)', 'localhost'],
    ])(
      'a page of %s changes nothing: adds, retries and cleans are refused',
      async (_, host) => {
        const context = await dashboardContext(browser!, CREDENTIALS);
        try {
          // the user has the board open: the browser holds its credentials
          const board = await context.newPage();
          await board.goto(`${base}/admin/queues/queue/maintenance?status=failed`);
          await board.getByRole('link', { name: `#${planted.attackRetry.id} planted-attackRetry` }).waitFor();

          const page = await context.newPage();
          const answers: string[] = []; // what the dashboard answered the attacking page
          page.on('response', (r) => {
            if (r.url().startsWith(base)) answers.push(`${r.request().method()} ${r.status()}`);
          });
          const port = (elsewhere!.address() as AddressInfo).port;
          await page.goto(`http://${host}:${port}/`);
          const before = await snapshot();

          const api = `${base}/admin/queues/api/queues`;
          const add = `${api}/events/add`;
          const body = JSON.stringify({ name: 'csrf-fetch', data: {} });
          const refused = '"error":"cross-site request refused"';
          expect(await formPost(page, add)).toContain(refused);
          const noCors = { method: 'POST', mode: 'no-cors', credentials: 'include', body } as const;
          const answered = page.waitForResponse((r) => r.url() === add && r.request().method() === 'POST');
          expect(await pageFetch(page, add, { ...noCors, headers: { 'content-type': 'text/plain' } })).toBe(
            'opaque',
          );
          expect((await answered).status()).toBe(403);

          for (const [job, action] of [
            [planted.attackRetry, 'retry'],
            [planted.attackClean, 'clean'],
          ] as const) {
            const url = `${api}/maintenance/${job.id}/${action}`;
            // a cross-origin PUT needs a CORS preflight, which the board never grants
            expect(await pageFetch(page, url, { method: 'PUT', credentials: 'include' })).toBe(
              'TypeError: Failed to fetch',
            );
            // no-cors allows GET, HEAD and POST only
            expect(
              await pageFetch(page, url, { method: 'PUT', mode: 'no-cors', credentials: 'include' }),
            ).toMatch(/^TypeError: .*'PUT' is unsupported in no-cors mode/);
            // a form can only POST
            expect(await formPost(page, url)).toContain(refused);
          }

          expect(await snapshot()).toEqual(before);
          // every write that reached the board was refused; no PUT got through its preflight
          const writes = answers.filter((a) => a.startsWith('POST') || a.startsWith('PUT'));
          expect(writes).toEqual(['POST 403', 'POST 403', 'POST 403', 'POST 403']);
        } finally {
          await context.close();
        }
      },
      60_000,
    );

    it("the board's own page still adds, retries and cleans", async () => {
      const context = await dashboardContext(browser!, CREDENTIALS);
      try {
        const page = await context.newPage();
        await page.goto(`${base}/admin/queues/queue/maintenance?status=failed`);
        const before = await snapshot();

        // retry and clean through bull-board's own buttons (icons: refresh, trash), each confirmed
        for (const [job, icon, action] of [
          [planted.ownRetry, 'lucide-refresh-cw', 'retry'],
          [planted.ownClean, 'lucide-trash2', 'clean'],
        ] as const) {
          const header = page
            .getByRole('link', { name: `#${job.id} ${job.name}` })
            .locator('xpath=ancestor::*[.//button][1]');
          await header.locator(`button:has(svg.${icon})`).click();
          const answered = page.waitForResponse(
            (r) => r.url().endsWith(`/maintenance/${job.id}/${action}`) && r.request().method() === 'PUT',
          );
          await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
          expect((await answered).status()).toBe(204);
        }
        expect(await planted.ownRetry.getState()).toBe('waiting');
        expect(await maintenance!.getJob(planted.ownClean.id!)).toBeUndefined();

        // add: the board's own API, called from its page the way its UI calls it
        const added = await pageFetch(page, `${base}/admin/queues/api/queues/events/add`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'from-the-board', data: {} }),
        });
        expect(added).toBe('status 200');

        expect(await snapshot()).toEqual({
          events: { ...before.events, waiting: before.events.waiting! + 1 },
          maintenance: {
            ...before.maintenance,
            failed: before.maintenance.failed! - 2,
            waiting: before.maintenance.waiting! + 1,
          },
          planted: { ...before.planted, ownRetry: 'waiting', ownClean: 'unknown' },
        });
      } finally {
        await context.close();
      }
    }, 60_000);
  },
);
