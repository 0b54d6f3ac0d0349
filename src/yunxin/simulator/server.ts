import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSum } from '../auth.js';
import type { EndpointName } from '../endpoints.js';
import { YUNXIN_LIMITS } from '../limits.js';
import { handleAdmin } from './admin.js';
import { type Answer, fail, stringifyAnswer } from './answers.js';
import { CallLog } from './call-log.js';
import { type Faults, type FaultsInput, faultsSchema, seededRandom } from './faults.js';
import { readBody, sendText } from './http-util.js';
import { type RateLimitConfig, RateLimiter, rateLimitConfigSchema } from './rate-limiter.js';
import { conversationIdsIn, failedItems, handle, idsInCall, matchRoute } from './routes.js';
import {
  DEFAULT_SIMULATOR_LIMITS,
  type SimulatorLimits,
  SimulatorState,
  type StateOptions,
} from './state.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** appKey → appSecret */
  apps?: Record<string, string>;
  limits?: Partial<SimulatorLimits>;
  rateLimit?: Partial<RateLimitConfig>;
  faults?: FaultsInput;
  /** seed of the fault-injection PRNG */
  seed?: number;
  repeatMembership?: StateOptions['repeatMembership'];
  strictConversations?: boolean;
  knownAccounts?: readonly string[];
  firstGroupId?: bigint | number | string;
  batchGetFailureKey?: StateOptions['batchGetFailureKey'];
  /** serve GET /im/v2/conversation_groups/{id}/conversations (server API ≥ 10.10.15) */
  groupConversationsEndpoint?: boolean;
  /** introspection and fault control under /_sim/; off unless enabled */
  admin?: boolean;
  /** when set, /_sim/ requires `Authorization: Bearer <adminToken>` */
  adminToken?: string;
  now?: () => number;
}

export const DEMO_APP = { appKey: 'demo-app-key', appSecret: 'demo-app-secret' } as const;

export interface Simulator {
  url: string;
  port: number;
  state: SimulatorState;
  calls: CallLog;
  faults(): Faults;
  setFaults(input: FaultsInput): Faults;
  rateLimit(): RateLimitConfig;
  setRateLimit(input: Partial<RateLimitConfig>): RateLimitConfig;
  reset(): void;
  close(): Promise<void>;
}

/** Starts a Yunxin server API v2 stand-in over real HTTP (see README "The simulator"). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const now = opts.now ?? Date.now;
  const apps = opts.apps ?? { [DEMO_APP.appKey]: DEMO_APP.appSecret };
  const limits = { ...DEFAULT_SIMULATOR_LIMITS, ...opts.limits };
  const state = new SimulatorState({
    limits,
    repeatMembership: opts.repeatMembership ?? 'succeed',
    strictConversations: opts.strictConversations ?? false,
    knownAccounts: opts.knownAccounts ? new Set(opts.knownAccounts) : undefined,
    firstGroupId: BigInt(opts.firstGroupId ?? 1),
    batchGetFailureKey: opts.batchGetFailureKey ?? 'failed_list',
    now,
  });
  const calls = new CallLog(limits.idsPerCall);
  const limiter = new RateLimiter(rateLimitConfigSchema.parse(opts.rateLimit ?? {}), now);
  let faults = faultsSchema.parse(opts.faults ?? {});
  const random = seededRandom(opts.seed ?? 1);
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const sim: Simulator = {
    url: '',
    port: 0,
    state,
    calls,
    faults: () => faults,
    setFaults: (input) => {
      faults = faultsSchema.parse({ ...faults, ...input });
      return faults;
    },
    rateLimit: () => limiter.current(),
    setRateLimit: (input) => {
      const config = rateLimitConfigSchema.parse({ ...limiter.current(), ...input });
      limiter.configure(config);
      return config;
    },
    reset: () => {
      state.reset();
      calls.reset();
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function serveApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = matchRoute(req.method ?? 'GET', url.pathname);
    if (!route || (route.name === 'group.conversations' && opts.groupConversationsEndpoint === false)) {
      return sendText(res, 404, 'Not Found');
    }
    const arrived = now();
    const raw = await readBody(req);
    if (raw === undefined) return sendText(res, 413, 'Payload Too Large');
    let body: unknown;
    let answer: Answer | undefined;
    try {
      body = raw.length ? JSON.parse(raw) : undefined;
    } catch {
      answer = fail(414, 'parameter error: body is not JSON');
    }
    const applies = faults.endpoints.length === 0 || faults.endpoints.includes(route.name);
    answer ??= authenticate(req, apps, now());
    if (!answer && ((applies && random() < faults.rateLimitRate) || !limiter.take(route.name))) {
      limiter.block(route.name);
      answer = fail(416, 'api frequency limit');
    }
    let httpStatus = 200;
    if (!answer && applies && random() < faults.serverErrorRate) {
      const code = faults.serverErrorCodes[Math.floor(random() * faults.serverErrorCodes.length)]!;
      answer = fail(code, code === 503 ? 'server busy' : 'internal server error');
      if (faults.serverErrorAs === 'http') httpStatus = code >= 500 && code < 600 ? code : 500;
    }
    answer ??= handle(state, route.name, {
      params: route.params,
      query: url.searchParams,
      body,
      itemFault: () => applies && faults.itemTransientRate > 0 && random() < faults.itemTransientRate,
    });
    calls.record({
      at: arrived,
      endpoint: route.name,
      code: answer.code,
      ids: idsInCall(route.name, body, url.searchParams),
      failed: failedItems(answer),
      conversationIds: conversationIdsIn(body),
    });

    const stall = applies && answer.code === 200 && stalls(route.name) && random() < faults.stallRate;
    const delay = (stall ? faults.stallMs : 0) + faults.latencyMs + random() * faults.latencyJitterMs;
    if (delay > 0) await wait(delay);
    if (res.destroyed) return;
    if (httpStatus !== 200) return sendText(res, httpStatus, 'Service Unavailable');
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(stringifyAnswer(answer));
  }

  const stalls = (name: EndpointName) => faults.stallEndpoints.includes(name);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const work = url.pathname.startsWith('/_sim/')
      ? opts.admin
        ? handleAdmin(sim, req, res, url, opts.adminToken)
        : Promise.resolve(sendText(res, 404, 'Not Found'))
      : serveApi(req, res, url);
    work.catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `simulator error: ${(error as Error).message}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  sim.port = address.port;
  sim.url = `http://${opts.host ?? '127.0.0.1'}:${address.port}`;
  return sim;
}

/** CheckSum, CurTime (±5 min) and AppKey, as Yunxin checks them: any failure is code 414. */
function authenticate(req: IncomingMessage, apps: Record<string, string>, nowMs: number): Answer | undefined {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const appKey = header('appkey');
  const nonce = header('nonce');
  const curTime = header('curtime');
  const sum = header('checksum');
  const secret = appKey === undefined ? undefined : apps[appKey];
  if (!secret || !nonce || !curTime || !sum)
    return fail(414, 'parameter error: missing or unknown auth headers');
  if (nonce.length > YUNXIN_LIMITS.nonceMaxChars) return fail(414, 'parameter error: Nonce over 128 chars');
  if (!/^\d+$/.test(curTime) || Math.abs(Number(curTime) - nowMs / 1000) > YUNXIN_LIMITS.curTimeSkewSeconds) {
    return fail(414, 'parameter error: CurTime expired');
  }
  const expected = Buffer.from(checkSum(secret, nonce, curTime));
  const given = Buffer.from(sum.toLowerCase());
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail(414, 'parameter error: CheckSum mismatch');
  }
  return undefined;
}
