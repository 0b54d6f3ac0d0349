import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { credentialsFor, secretEquals } from '../../secret-equals.js';
import { readBody, sendText } from './http-util.js';
import type { AdminTarget } from './simulator.js';

const resetSchema = z.strictObject({ state: z.boolean().default(true), calls: z.boolean().default(true) });
const seedSchema = z.strictObject({ conversation_ids: z.array(z.string()).max(10_000) });

/**
 * Introspection and control for tests, demos and benchmarks, under /_sim/.
 *   GET  /_sim/health                      liveness
 *   GET  /_sim/accounts                    accounts that have groups
 *   GET  /_sim/accounts/{account}/groups   groups with members
 *   GET  /_sim/calls[?recent=1]            counts per endpoint and code, peaks, id sizes
 *   GET|PATCH /_sim/faults                 fault injection (PATCH merges)
 *   GET|PATCH /_sim/rate-limit             token bucket settings
 *   POST /_sim/conversations               seed conversation records {conversation_ids} (Yunxin)
 *   POST /_sim/reset                       {state?, calls?}
 */
export async function handleAdmin(
  sim: AdminTarget,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  token: string | undefined,
): Promise<void> {
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    return sendText(res, 401, 'Unauthorized');
  }
  const method = req.method ?? 'GET';
  const path = url.pathname.slice('/_sim'.length);
  const body = async () => {
    const raw = await readBody(req);
    return raw ? JSON.parse(raw) : {};
  };
  const json = (value: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  try {
    const account = /^\/accounts\/([^/]+)\/groups$/.exec(path);
    if (method === 'GET' && path === '/health') return json({ ok: true });
    if (method === 'GET' && path === '/accounts') return json({ accounts: sim.state.accountNames() });
    if (method === 'GET' && account)
      return json({ groups: sim.state.snapshot(decodeURIComponent(account[1]!)) });
    if (method === 'GET' && path === '/calls') {
      return json({
        ...sim.calls.snapshot(),
        ...(url.searchParams.has('recent') ? { recent: sim.calls.recentCalls() } : {}),
      });
    }
    if (path === '/faults' && method === 'GET') return json(sim.faults());
    if (path === '/faults' && method === 'PATCH') return json(sim.setFaults(await body()));
    if (path === '/rate-limit' && method === 'GET') return json(sim.rateLimit());
    if (path === '/rate-limit' && method === 'PATCH') return json(sim.setRateLimit(await body()));
    if (path === '/conversations' && method === 'POST' && sim.state.seedConversations) {
      const { conversation_ids } = seedSchema.parse(await body());
      sim.state.seedConversations(conversation_ids);
      return json({ seeded: conversation_ids.length });
    }
    if (path === '/reset' && method === 'POST') {
      const what = resetSchema.parse(await body());
      if (what.state) sim.state.reset();
      if (what.calls) sim.calls.reset();
      return json({ reset: what });
    }
    return sendText(res, 404, 'Not Found');
  } catch (error) {
    // zod / JSON errors in an admin request: say what was wrong
    return sendText(
      res,
      400,
      error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message,
    );
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = credentialsFor(header, 'Bearer');
  return given !== undefined && secretEquals(given, token);
}
