import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import { CallLog, type CallLogOptions, type CallRecord } from './call-log.js';
import { type Faults, type FaultsInput, type FaultsSchema, seededRandom } from './faults.js';
import { readBody, sendText } from './http-util.js';
import { type RateLimitConfig, RateLimiter, type rateLimitConfigSchemaFor } from './rate-limiter.js';
import type { AdminTarget, SimulatorBase } from './simulator.js';

/** What every provider's simulator offers tests, demos and the admin endpoints. */
export interface CoreOptions<E extends string> {
  faultsSchema: FaultsSchema<E>;
  faults?: FaultsInput<E>;
  rateLimitSchema: ReturnType<typeof rateLimitConfigSchemaFor>;
  rateLimit?: Partial<RateLimitConfig>;
  /** seed of the fault-injection PRNG */
  seed?: number;
  now: () => number;
  callLog: CallLogOptions;
}

/** What answers a call instead of the provider's logic. */
export type Interception =
  | { kind: 'rate_limited' }
  /** `httpStatus` 200: the code in the body, as the provider answers; else a gateway's error page */
  | { kind: 'server_error'; code: number; httpStatus: number };

/** How one provider answers each case of a call the core serves (serveCall); `A` is its answer. */
export interface CallAnswers<A extends { code: number }> {
  /** the body as JSON, or the provider's answer to one that is not */
  parse(raw: string): { body: unknown } | { refused: A };
  /** the answer to credentials the provider refuses; undefined when it takes them */
  authenticate(): A | undefined;
  rateLimited(): A;
  serverError(code: number): A;
  /** the provider's logic: the state's answer */
  handle(body: unknown, itemFault: () => boolean): A;
  /** what the call log keeps of the call besides its time, endpoint and code */
  logged(body: unknown, answer: A): Omit<CallRecord, 'at' | 'endpoint' | 'code'>;
  stringify(answer: A): string;
}

/**
 * The provider-neutral half of a simulator: the call log, the token bucket, fault injection
 * (one seeded PRNG, drawn in a fixed order so a seed replays a run) and answer delays.
 * Each provider's server authenticates, routes and shapes answers; this decides the rest.
 */
export class SimulatorCore<E extends string> {
  readonly calls: CallLog;
  private readonly limiter: RateLimiter;
  private current: Faults<E>;
  private readonly random: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: CoreOptions<E>) {
    this.calls = new CallLog(opts.callLog);
    this.limiter = new RateLimiter(opts.rateLimitSchema.parse(opts.rateLimit ?? {}), opts.now);
    this.current = opts.faultsSchema.parse(opts.faults ?? {});
    this.random = seededRandom(opts.seed ?? 1);
  }

  faults(): Faults<E> {
    return this.current;
  }

  setFaults(input: FaultsInput<E>): Faults<E> {
    this.current = this.opts.faultsSchema.parse({ ...this.current, ...input });
    return this.current;
  }

  rateLimit(): RateLimitConfig {
    return this.limiter.current();
  }

  setRateLimit(input: Partial<RateLimitConfig>): RateLimitConfig {
    const config = this.opts.rateLimitSchema.parse({ ...this.limiter.current(), ...input });
    this.limiter.configure(config);
    return config;
  }

  /** The rate limit (the bucket or an injected storm), then injected server errors. */
  intercept(endpoint: E): Interception | undefined {
    const f = this.current;
    const applies = this.applies(endpoint);
    if ((applies && this.random() < f.rateLimitRate) || !this.limiter.take(endpoint)) {
      this.limiter.block(endpoint);
      return { kind: 'rate_limited' };
    }
    if (applies && this.random() < f.serverErrorRate) {
      const code = f.serverErrorCodes[Math.floor(this.random() * f.serverErrorCodes.length)]!;
      const gateway = code >= 500 && code < 600 ? code : 500;
      return { kind: 'server_error', code, httpStatus: f.serverErrorAs === 'http' ? gateway : 200 };
    }
    return undefined;
  }

  /**
   * One API call to a known endpoint: its body read (413 past the limit), then in turn a body
   * that is not JSON, refused credentials, the rate limit and injected server errors, else the
   * provider's logic answer it; the call is logged and its answer delivered (see deliver).
   */
  async serveCall<A extends { code: number }>(
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: E,
    answers: CallAnswers<A>,
  ): Promise<void> {
    const arrived = this.opts.now();
    const raw = await readBody(req);
    if (raw === undefined) return sendText(res, 413, 'Payload Too Large');
    const parsed = answers.parse(raw);
    const body = 'body' in parsed ? parsed.body : undefined;
    let answer = 'refused' in parsed ? parsed.refused : answers.authenticate();
    const intercepted = answer ? undefined : this.intercept(endpoint);
    if (intercepted?.kind === 'rate_limited') answer = answers.rateLimited();
    if (intercepted?.kind === 'server_error') answer = answers.serverError(intercepted.code);
    answer ??= answers.handle(body, this.itemFault(endpoint));
    this.calls.record({ at: arrived, endpoint, code: answer.code, ...answers.logged(body, answer) });
    await this.deliver(res, endpoint, {
      success: answer.code === this.opts.callLog.successCode,
      body: answers.stringify(answer),
      httpStatus: intercepted?.kind === 'server_error' ? intercepted.httpStatus : 200,
    });
  }

  /** Decides per item whether it fails alone with the provider's retry code. */
  itemFault(endpoint: E): () => boolean {
    const applies = this.applies(endpoint);
    return () =>
      applies && this.current.itemTransientRate > 0 && this.random() < this.current.itemTransientRate;
  }

  /**
   * Holds an answer for its latency (and, for a success of a stalling endpoint, the stall: the
   * change is applied, the answer comes too late), then writes it unless the client gave up.
   * `httpStatus` other than 200 is a gateway error page instead of the body.
   */
  async deliver(
    res: ServerResponse,
    endpoint: E,
    answer: { success: boolean; body: string; httpStatus?: number },
  ): Promise<void> {
    const f = this.current;
    const stall =
      this.applies(endpoint) &&
      answer.success &&
      f.stallEndpoints.includes(endpoint) &&
      this.random() < f.stallRate;
    if (stall) this.calls.stalledAnswer();
    const delay = (stall ? f.stallMs : 0) + f.latencyMs + this.random() * f.latencyJitterMs;
    if (delay > 0) await this.wait(delay);
    if (res.destroyed) return;
    const status = answer.httpStatus ?? 200;
    if (status !== 200) return sendText(res, status, 'Service Unavailable');
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
    res.end(answer.body);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private applies(endpoint: E): boolean {
    return this.current.endpoints.length === 0 || this.current.endpoints.includes(endpoint);
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}

/** Where and how a simulator listens. */
export interface ListenOptions {
  port?: number;
  host?: string;
  /** introspection and fault control under /_sim/; off unless enabled */
  admin?: boolean;
  /** when set, /_sim/ requires `Authorization: Bearer <adminToken>` */
  adminToken?: string;
}

/** A running simulator of one provider: its state, and the core's log, faults and limits. */
export interface RunningSimulator<E extends string, S extends AdminTarget['state']> extends SimulatorBase {
  state: S;
  faults(): Faults<E>;
  setFaults(input: FaultsInput<E>): Faults<E>;
}

/**
 * Serves a simulator over real HTTP: /_sim/ goes to the admin endpoints (when enabled), the
 * rest to the provider's API.
 */
export async function serveSimulator<E extends string, S extends AdminTarget['state']>(
  core: SimulatorCore<E>,
  state: S,
  serveApi: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>,
  opts: ListenOptions,
): Promise<RunningSimulator<E, S>> {
  const sim: RunningSimulator<E, S> = {
    url: '',
    port: 0,
    state,
    calls: core.calls,
    faults: () => core.faults(),
    setFaults: (input) => core.setFaults(input),
    rateLimit: () => core.rateLimit(),
    setRateLimit: (input) => core.setRateLimit(input),
    reset: () => {
      state.reset();
      core.calls.reset();
    },
    close: async () => {
      core.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
