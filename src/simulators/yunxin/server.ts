import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkSum } from '../../yunxin/auth.js';
import type { EndpointName } from '../../yunxin/endpoints.js';
import { RATE_LIMIT_CODE, SUCCESS_CODE } from '../../yunxin/error-codes.js';
import { YUNXIN_LIMITS } from '../../yunxin/limits.js';
import { type ListenOptions, type RunningSimulator, SimulatorCore, serveSimulator } from '../kit/core.js';
import { sendText } from '../kit/http-util.js';
import { type RateLimitConfig, rateLimitConfigSchemaFor } from '../kit/rate-limiter.js';
import { type Answer, fail, stringifyAnswer } from './answers.js';
import { DEMO_APP } from './demo-app.js';
import { type FaultsInput, faultsSchema } from './faults.js';
import { conversationIdsIn, failedItems, handle, idsInCall, matchRoute } from './routes.js';
import {
  DEFAULT_SIMULATOR_LIMITS,
  type SimulatorLimits,
  SimulatorState,
  type StateOptions,
} from './state.js';

export interface SimulatorOptions extends ListenOptions {
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
  /** serve GET /im/v2/conversation_groups/{id}/conversations (undocumented; default off) */
  groupConversationsEndpoint?: boolean;
  now?: () => number;
}

export type Simulator = RunningSimulator<EndpointName, SimulatorState>;

/** Starts a Yunxin server API v2 stand-in over real HTTP (see docs/yunxin.md, "The simulator"). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const now = opts.now ?? Date.now;
  const apps = opts.apps ?? { [DEMO_APP.appKey]: DEMO_APP.appSecret };
  const limits = { ...DEFAULT_SIMULATOR_LIMITS, ...opts.limits };
  const state = new SimulatorState({
    limits,
    repeatMembership: opts.repeatMembership ?? 'succeed',
    strictConversations: opts.strictConversations ?? true,
    knownAccounts: opts.knownAccounts ? new Set(opts.knownAccounts) : undefined,
    firstGroupId: BigInt(opts.firstGroupId ?? 1),
    batchGetFailureKey: opts.batchGetFailureKey ?? 'failed_list',
    now,
  });
  const core = new SimulatorCore<EndpointName>({
    faultsSchema,
    faults: opts.faults,
    rateLimitSchema: rateLimitConfigSchemaFor(YUNXIN_LIMITS.defaultCallsPerSecond),
    rateLimit: opts.rateLimit,
    seed: opts.seed,
    now,
    callLog: { idLimit: limits.idsPerCall, successCode: SUCCESS_CODE, rateLimitCodes: [RATE_LIMIT_CODE] },
  });

  const serveApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const route = matchRoute(req.method ?? 'GET', url.pathname);
    // group.conversations: parameters and answer undocumented (provider-apis.md §A5.7), so off
    // unless asked for
    if (!route || (route.name === 'group.conversations' && opts.groupConversationsEndpoint !== true)) {
      return sendText(res, 404, 'Not Found');
    }
    return core.serveCall(req, res, route.name, {
      parse: parseBody,
      authenticate: () => authenticate(req, apps, now()),
      rateLimited: () => fail(RATE_LIMIT_CODE, 'api frequency limit'),
      serverError: (code) => fail(code, code === 503 ? 'server busy' : 'internal server error'),
      handle: (body, itemFault) =>
        handle(state, route.name, { params: route.params, query: url.searchParams, body, itemFault }),
      logged: (body, answer) => ({
        ids: idsInCall(route.name, body, url.searchParams),
        failed: failedItems(answer),
        account: url.searchParams.get('account_id') ?? undefined,
        conversationIds: conversationIdsIn(body),
        ...receivedTraceHeaders(req),
      }),
      stringify: stringifyAnswer,
    });
  };

  return serveSimulator(core, state, serveApi, opts);
}

/** An empty body is no body; anything else must be JSON. */
function parseBody(raw: string): { body: unknown } | { refused: Answer } {
  try {
    return { body: raw.length ? JSON.parse(raw) : undefined };
  } catch {
    return { refused: fail(414, 'parameter error: body is not JSON') };
  }
}

function receivedTraceHeaders(req: IncomingMessage): { traceId?: string; traceparent?: string } {
  const traceId = req.headers['x-custom-traceid'];
  const traceparent = req.headers.traceparent;
  return {
    ...(typeof traceId === 'string' ? { traceId } : {}),
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
  };
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
