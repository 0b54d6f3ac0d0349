import { mkdir } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/actions/serve.js';
import { openQueue, QUEUES } from '../../src/jobs/queues.js';
import { createLogger } from '../../src/log.js';
import { type RunningWorkers, startWorkers } from '../../src/workers/run-workers.js';
import { browserSkipReason, launchChromium } from '../support/browser.js';
import { type BasicCredentials, dashboardContext } from '../support/dashboard-browser.js';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';

/**
 * The operator's view: `folder-sync serve` in-process, bull-board at /admin/queues opened in
 * headless Chromium (Debian's, driven by playwright-core). Workers run first so `reconcile`
 * and `events` hold completed jobs, then stop, and 250 events posted to the ingest stay
 * waiting in `events` (100 events per job → 3 waiting jobs).
 */

const USER = 'admin';
const PASSWORD = 'browser-dashboard-pw-1';
const INGEST_TOKEN = 'browser-ingest-token-0123456789';
const SCREENSHOT = 'test-results/dashboard.png';
const EVENTS_SCREENSHOT = 'test-results/dashboard-events.png';
// one partition (PARTITIONS=1): the board shows its queues by their own names
const EVENTS = QUEUES.events;
const QUEUE_NAMES = [EVENTS, QUEUES.reconcile, QUEUES.maintenance];

const skipReason = browserSkipReason();
if (skipReason) console.warn(skipReason);

type Counts = Record<string, Record<string, number>>;

let engine: Engine | undefined;
let server: RunningServer | undefined;
let workers: RunningWorkers | undefined;
let maintenance: Queue | undefined;
let browser: Browser | undefined;
let base = '';
let counts: Counts = {};
let logged = '';

const newContext = (credentials?: BasicCredentials) => dashboardContext(browser!, credentials);

/** The overview card of one queue (the sidebar also links each queue: stay inside <main>). */
const card = (page: Page, name: string) =>
  page.locator('main li').filter({ has: page.locator(`a[title="${name}"]`) });

const jobsLabel = (n: number) => `${n} ${n === 1 ? 'Job' : 'Jobs'}`;
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

describe.skipIf(skipReason !== undefined)(
  skipReason ? `dashboard in headless Chromium (${skipReason})` : 'dashboard in headless Chromium',
  () => {
    beforeAll(async () => {
      const sink = new Writable({
        write(chunk, _e, done) {
          logged += chunk.toString();
          done();
        },
      });
      const log = createLogger({ level: 'info', name: 'browser-test' }, sink);
      engine = await startEngine({
        noWorkers: true,
        env: {
          HTTP_PORT: '0',
          DASHBOARD_USER: USER,
          DASHBOARD_PASSWORD: PASSWORD,
          INGEST_TOKEN,
          LOG_LEVEL: 'info',
          PARTITIONS: '1',
        },
      });
      server = await startServer(engine.config, log);
      base = server.http.url;

      // the whole pipeline once, so the dashboard has finished work to show
      workers = await startWorkers(engine.config, log);
      const published = await engine.publish([
        ev('conversation.upserted', 'alice', { ...team('p1'), attributes: { kind: 'project' } }),
        ev('conversation.pinned', 'alice', team('p1')),
        ev('conversation.upserted', 'alice', { ...p2p('bob'), attributes: {} }),
      ]);
      expect(published).toEqual({ accepted: 3, refused: [] });
      await engine.eventually(() =>
        expect(engine!.groups('alice')).toEqual({ Projects: ['2|p1'], 'Direct messages': ['1|bob'] }),
      );
      await engine.idle();
      await workers.close();
      workers = undefined;

      // then events nobody consumes: they wait in `events`
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(
          Array.from({ length: 250 }, (_, i) => ev('conversation.pinned', 'carol', team(`t-${i}`))),
        ),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 250, refused: [], refusedTotal: 0 });

      maintenance = openQueue(QUEUES.maintenance, engine.redis, engine.config.QUEUE_PREFIX, () => {});
      const queues: Record<string, Queue> = {
        [EVENTS]: engine.events.queues[0]!,
        [QUEUE_NAMES[1]!]: engine.reconcile.queues[0]!,
        maintenance,
      };
      counts = Object.fromEntries(
        await Promise.all(Object.entries(queues).map(async ([n, q]) => [n, await q.getJobCounts()] as const)),
      );
      expect(counts[EVENTS]).toMatchObject({ waiting: 3, completed: 1, active: 0, failed: 0 });
      expect(counts[QUEUE_NAMES[1]!]!.completed).toBeGreaterThanOrEqual(1);

      await mkdir('test-results', { recursive: true });
      browser = await launchChromium();
    }, 60_000);

    beforeEach(({ onTestFailed }) => {
      onTestFailed(() =>
        console.error(`server and worker logs (last 4000 characters):\n${logged.slice(-4000)}`),
      );
    });

    afterAll(async () => {
      await browser?.close();
      await workers?.close();
      await server?.close();
      await maintenance?.close();
      await engine?.close(); // deletes every key under the test's prefix
    }, 60_000);

    it.each([
      ['without credentials', undefined],
      ['with a wrong password', { username: USER, password: 'not-the-password' }],
    ])(
      'refuses the page %s: 401, and no queue shown',
      async (_, credentials) => {
        const context = await newContext(credentials);
        try {
          const page = await context.newPage();
          const url = `${base}/admin/queues`;
          const answer = page.waitForResponse((r) => r.url() === url);
          const navigation = page.goto(url).catch((error: Error) => error);
          const res = await answer;
          expect(res.status()).toBe(401);
          expect(res.headers()['www-authenticate']).toContain('Basic realm=');
          // Given a challenge it has no credentials for, headless Chromium (which cannot prompt)
          // abandons the navigation; after a wrong answer it shows the 401 body.
          const outcome = await navigation;
          if (outcome instanceof Error)
            expect(outcome.message).toContain('net::ERR_INVALID_AUTH_CREDENTIALS');
          else expect(outcome?.status()).toBe(401);

          expect(await page.locator('main').count()).toBe(0);
          const text = (await page.locator('body').allInnerTexts()).join('\n'); // what is rendered
          for (const name of QUEUE_NAMES) expect(text).not.toContain(name);
          // the board's API, which the page would call, is refused too
          expect((await context.request.get(`${url}/api/queues`)).status()).toBe(401);
        } finally {
          await context.close();
        }
      },
      60_000,
    );

    it('after basic-auth login shows every queue with its job counts; saves a screenshot', async () => {
      const context = await newContext({ username: USER, password: PASSWORD });
      try {
        const page = await context.newPage();
        const res = await page.goto(`${base}/admin/queues`);
        expect(res?.status()).toBe(200);

        for (const name of QUEUE_NAMES) {
          await card(page, name)
            .getByText(jobsLabel(total(counts[name]!)), { exact: true })
            .waitFor();
        }
        // the status tab sums the waiting jobs of every queue (3 of them in `events`)
        const waiting = QUEUE_NAMES.reduce((n, name) => n + (counts[name]!.waiting ?? 0), 0);
        await page
          .locator('main a[href$="/admin/queues/?status=waiting"]')
          .filter({ hasText: new RegExp(`^WAITING\\s*${waiting}$`) })
          .waitFor();

        // the per-state breakdown of `events`: 3 waiting (the ingested batch), 1 completed
        await card(page, EVENTS)
          .getByRole('button', { name: jobsLabel(total(counts[EVENTS]!)), exact: true })
          .click();
        await page
          .locator('a[href$="/admin/queues/queue/events?status=waiting"]')
          .filter({ hasText: /^Waiting\s*3$/ })
          .waitFor();
        await page
          .locator('a[href$="/admin/queues/queue/events?status=completed"]')
          .filter({ hasText: new RegExp(`^Completed\\s*${counts[EVENTS]!.completed}$`) })
          .waitFor();

        await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled' });
      } finally {
        await context.close();
      }
    }, 60_000);

    it('the events queue page lists the waiting jobs', async () => {
      const waiting = await engine!.events.queues[0]!.getJobs(['waiting']);
      expect(waiting).toHaveLength(3);
      const context = await newContext({ username: USER, password: PASSWORD });
      try {
        const page = await context.newPage();
        expect((await page.goto(`${base}/admin/queues`))?.status()).toBe(200);
        await card(page, EVENTS).getByRole('link', { name: EVENTS, exact: true }).click();
        await page.waitForURL(/\/admin\/queues\/queue\/events$/);

        await page.locator('main a[href$="/admin/queues/queue/events?status=waiting"]').click();
        await page.waitForURL(/status=waiting$/);
        for (const job of waiting) {
          await page
            .locator(`main a[href="/admin/queues/queue/events/${job.id}?status=waiting"]`)
            .filter({ hasText: `#${job.id}` })
            .waitFor();
        }
        // job links are …/events/<id>; the status tabs are …/events?status=…
        expect(await page.locator('main a[href^="/admin/queues/queue/events/"]').count()).toBe(3);
        await page.screenshot({ path: EVENTS_SCREENSHOT, fullPage: true, animations: 'disabled' });
      } finally {
        await context.close();
      }
    }, 60_000);
  },
);
