import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';
import { partitionOfPrefix } from '../store/keys.js';
import { type Credentials, requireAuth } from './auth.js';
import { sameOriginWrites } from './same-origin.js';

export const DASHBOARD_PATH = '/admin/queues';

const DESCRIPTIONS: Record<string, string> = {
  events: 'Batches of validated domain events, folded into per-account facts',
  reconcile: 'One job per account: make Yunxin conversation groups match the folder rules',
  maintenance: 'Fleet-wide work: re-reconcile after a rules change, resync --all',
};

/**
 * bull-board over every queue of the product, behind authentication; optionally read-only.
 * Writes must come from the board's own pages (CSRF: see same-origin.ts).
 */
export function dashboard(
  queues: readonly Queue[],
  opts: { readOnly: boolean; credentials: Credentials },
): Hono {
  const adapter = new HonoAdapter(serveStatic);
  adapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => {
      // with several partitions each has an `events` queue: shown as `p3-events`
      const partition = partitionOfPrefix(q.opts.prefix ?? '');
      const shared = queues.filter((other) => other.name === q.name).length > 1;
      return new BullMQAdapter(q, {
        readOnlyMode: opts.readOnly,
        ...(shared && partition !== undefined ? { prefix: `p${partition}-` } : {}),
        description: `${DESCRIPTIONS[q.name] ?? ''}${shared && partition !== undefined ? ` (partition ${partition})` : ''}`,
        // jobs hold event payloads: show them only to authenticated users (the whole board is)
      });
    }),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'folder-sync' } },
  });
  const app = new Hono();
  // before auth: a cross-site write is refused whatever it carries, and is never answered with a
  // 401 challenge, which would make the browser ask the user for the credentials on its behalf
  app.use('*', sameOriginWrites());
  app.use('*', requireAuth(opts.credentials));
  app.route('/', adapter.registerPlugin());
  return app;
}
