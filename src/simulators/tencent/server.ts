import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENDPOINT_NAMES, type EndpointName, endpointOfPath } from '../../tencent/endpoints.js';
import { RATE_LIMIT_CODE, SUCCESS_CODE } from '../../tencent/error-codes.js';
import { TENCENT_LIMITS } from '../../tencent/limits.js';
import { type ListenOptions, type RunningSimulator, SimulatorCore, serveSimulator } from '../kit/core.js';
import {
  type Faults as AnyFaults,
  type FaultsInput as AnyFaultsInput,
  faultsSchemaFor,
} from '../kit/faults.js';

import { type RateLimitConfig, rateLimitConfigSchemaFor } from '../kit/rate-limiter.js';
import { fail, stringifyAnswer, type TencentAnswer } from './answers.js';
import { authenticate, type TencentApp } from './auth.js';
import { TENCENT_DEMO_APP } from './demo-app.js';
import { contactsIn, failedItems, handle } from './routes.js';
import {
  DEFAULT_TENCENT_SIMULATOR_LIMITS,
  type TencentSimulatorLimits,
  TencentSimulatorState,
  type TencentStateOptions,
} from './state.js';

/** Server errors 50004/50005, stalls on create, items failing alone with 50004. */
export const tencentFaultsSchema = faultsSchemaFor(ENDPOINT_NAMES, {
  serverErrorCodes: [50004, 50005],
  stallEndpoints: ['group.create'],
});
export type TencentFaults = AnyFaults<EndpointName>;
export type TencentFaultsInput = AnyFaultsInput<EndpointName>;

export interface TencentSimulatorOptions extends ListenOptions {
  apps?: readonly TencentApp[];
  limits?: Partial<TencentSimulatorLimits>;
  rateLimit?: Partial<RateLimitConfig>;
  faults?: TencentFaultsInput;
  /** seed of the fault-injection PRNG */
  seed?: number;
  emptyCreate?: TencentStateOptions['emptyCreate'];
  knownAccounts?: readonly string[];
  now?: () => number;
}

export type TencentSimulator = RunningSimulator<EndpointName, TencentSimulatorState>;

/** Starts a Tencent Cloud Chat REST stand-in (recentcontact commands) over real HTTP. */
export async function startTencentSimulator(opts: TencentSimulatorOptions = {}): Promise<TencentSimulator> {
  const now = opts.now ?? Date.now;
  const apps = new Map((opts.apps ?? [TENCENT_DEMO_APP]).map((a) => [a.sdkappid, a]));
  const limits = { ...DEFAULT_TENCENT_SIMULATOR_LIMITS, ...opts.limits };
  const state = new TencentSimulatorState({
    limits,
    emptyCreate: opts.emptyCreate ?? 'refuse',
    knownAccounts: opts.knownAccounts ? new Set(opts.knownAccounts) : undefined,
    now,
  });
  const core = new SimulatorCore<EndpointName>({
    faultsSchema: tencentFaultsSchema,
    faults: opts.faults,
    rateLimitSchema: rateLimitConfigSchemaFor(TENCENT_LIMITS.defaultCallsPerSecond),
    rateLimit: opts.rateLimit,
    seed: opts.seed,
    now,
    callLog: {
      idLimit: limits.contactsPerCall,
      successCode: SUCCESS_CODE,
      rateLimitCodes: [RATE_LIMIT_CODE],
    },
  });
  const send = (res: ServerResponse, answer: TencentAnswer) => {
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(stringifyAnswer(answer));
  };

  const serveApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const endpoint = endpointOfPath(url.pathname);
    // Every command is POST; anything else is a bad URL, answered (like every error) with HTTP 200.
    if (!endpoint || req.method !== 'POST') {
      return send(res, fail(60009, 'request resource error: bad URL'));
    }
    return core.serveCall(req, res, endpoint, {
      parse: parseBody,
      authenticate: () => authenticate(url.searchParams, apps, now()),
      rateLimited: () => fail(RATE_LIMIT_CODE, 'REST API call frequency exceeds the limit'),
      serverError: (code) => fail(code, 'internal server error, retry'),
      handle: (body, itemFault) => handle(state, endpoint, body, itemFault),
      logged: (body, answer) => {
        const contacts = contactsIn(body);
        return {
          ids: contacts?.length ?? 0,
          failed: failedItems(answer),
          account: accountIn(body),
          conversationIds: contacts,
        };
      },
      stringify: stringifyAnswer,
    });
  };

  return serveSimulator(core, state, serveApi, opts);
}

/** Every body must be JSON (`{}` when there are no parameters). */
function parseBody(raw: string): { body: unknown } | { refused: TencentAnswer } {
  try {
    return { body: JSON.parse(raw) };
  } catch {
    return { refused: fail(60003, 'JSON parse error (send {} when there are no parameters)') };
  }
}

/** Every command names the account it acts for in From_Account. */
function accountIn(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('From_Account' in body)) return undefined;
  return typeof body.From_Account === 'string' ? body.From_Account : undefined;
}
