import type { Logger } from '../log.js';
import { type GroupProvider, isProviderError } from '../provider/types.js';
import type { AccountStore, Lease, LoadedAccount } from '../store/account-store.js';
import type { CallGate } from '../store/call-gate.js';
import { withCallGuard } from './call-guard.js';
import type { EngineObserver } from './observer.js';

/** Everything one reconcile of one account works with; `state.ledger` is updated as calls succeed. */
export interface ReconcileContext {
  account: string;
  lease: Lease;
  store: AccountStore;
  provider: GroupProvider;
  gate: CallGate;
  state: LoadedAccount;
  now: () => number;
  random: () => number;
  retry: { baseMs: number; maxMs: number };
  log: Logger;
  calls: number;
  /** the lease's length, to renew it before each call */
  leaseMs: number;
  signal?: AbortSignal;
  observer?: EngineObserver;
}

/**
 * Runs one provider operation; a 416 pauses the whole app (shared in Redis) and the same
 * operation is tried again once the pause ends, so work resumes where it stopped. A 416 is
 * never an item failure and never fails the job.
 */
export async function gated<T>(ctx: ReconcileContext, op: () => Promise<T>): Promise<T> {
  for (;;) {
    ctx.signal?.throwIfAborted();
    try {
      ctx.calls++;
      const result = await withCallGuard(() => ctx.store.assertLease(ctx.lease, ctx.leaseMs), op);
      await ctx.gate.succeeded();
      return result;
    } catch (error) {
      if (!(isProviderError(error) && error.kind === 'rate_limited')) throw error;
      const ms = await ctx.gate.rateLimited();
      ctx.log.warn(
        { account: ctx.account, pauseMs: ms, endpoint: error.endpoint },
        'rate limited: pausing provider calls',
      );
    }
  }
}
