import type { Logger } from '../log.js';
import type { ConversationKey } from '../plan/types.js';
import { type GroupProvider, isProviderError } from '../provider/types.js';
import { LeaseLostError } from '../store/account-store.js';
import type { CallGate } from '../store/call-gate.js';
import { withCallGuard } from './call-guard.js';
import type { EngineObserver } from './observer.js';
import type { AccountSession } from './session.js';

/** The shared rate limiter as a reconcile uses it (the slot itself is taken in the provider's hook). */
export type ReconcileGate = Pick<CallGate, 'succeeded' | 'rateLimited'>;

/** Everything one reconcile of one account works with. */
export interface ReconcileContext {
  session: AccountSession;
  provider: GroupProvider;
  gate: ReconcileGate;
  now: () => number;
  random: () => number;
  retry: { baseMs: number; maxMs: number };
  log: Logger;
  /** provider operations made so far (a rate-limited attempt counts) */
  calls: number;
  /** HTTP requests sent so far (pages and fail-over attempts each count) */
  requests: number;
  signal?: AbortSignal;
  observer?: EngineObserver;
  /** create a conversation an add found missing (CREATE_MISSING_CONVERSATIONS) */
  createMissingConversations: boolean;
  /** conversations this reconcile created (each at most once) */
  conversationsCreated: Set<ConversationKey>;
}

/** Errors of calls that failed before their request could be sent (shutdown, lost lease). */
const unsent = new WeakSet<object>();

/** False only for an error raised before the request left: the provider cannot have applied it. */
export function maybeSent(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && unsent.has(error));
}

/** What stops a call on its way to the request: a shutdown's abort, or a lease found lost. */
const isPreSendFailure = (error: unknown): error is Error =>
  error instanceof Error && (error.name === 'AbortError' || error instanceof LeaseLostError);

/**
 * Runs one provider operation; a 416 pauses the whole app (shared in Redis) and the same
 * operation is tried again once the pause ends, so work resumes where it stopped. A 416 is
 * never an item failure and never fails the job.
 */
export async function gated<T>(ctx: ReconcileContext, op: () => Promise<T>): Promise<T> {
  for (;;) {
    let cleared = false;
    try {
      ctx.signal?.throwIfAborted();
      ctx.calls++;
      // the guard runs after the rate-limit slot came, right before the request is sent
      const check = async () => {
        await ctx.session.assertLease();
        cleared = true;
        ctx.requests++;
      };
      const result = await withCallGuard(check, op);
      await ctx.gate.succeeded();
      return result;
    } catch (error) {
      if (!cleared && isPreSendFailure(error)) unsent.add(error);
      if (!(isProviderError(error) && error.kind === 'rate_limited')) throw error;
      const ms = await ctx.gate.rateLimited();
      ctx.log.warn(
        { account: ctx.session.account, pauseMs: ms, endpoint: error.endpoint },
        'rate limited: pausing provider calls',
      );
    }
  }
}
