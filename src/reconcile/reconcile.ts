import type { Logger } from '../log.js';
import type { DesiredState } from '../plan/desired.js';
import { planSteps } from '../plan/planner.js';
import type { FolderKey, Overflow, Plan } from '../plan/types.js';
import type { GroupProvider } from '../provider/types.js';
import { runSliced } from '../steps.js';
import type { Lease, LoadedAccount } from '../store/account-store.js';
import type { LeaseHolder } from '../store/holders.js';
import { backoffMs } from './backoff.js';
import type { ReconcileContext, ReconcileGate } from './context.js';
import { type EvaluationStore, type Evaluator, evaluator, type FleetRules } from './evaluation.js';
import { executeCall } from './execute-call.js';
import type { EngineObserver } from './observer.js';
import { driftCount, repair } from './repair.js';
import { AccountSession, type RepairResult, type SessionStore } from './session.js';

/** What a reconcile needs of the account's storage (AccountStore, or a fake in tests). */
export interface ReconcileStore extends SessionStore, Partial<EvaluationStore> {
  load(account: string, opts?: { incremental?: boolean }): Promise<LoadedAccount>;
  acquireLease(account: string, ttlMs: number, holder?: LeaseHolder): Promise<Lease | undefined>;
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  releaseLease(lease: Lease): Promise<void>;
  quarantineLedger(account: string): Promise<void>;
}

export interface ReconcileDeps {
  store: ReconcileStore;
  provider: GroupProvider;
  gate: ReconcileGate;
  /** the fleet's rules at the generation the account's read saw (never a process's own copy) */
  rules: (generation: number | undefined) => Promise<FleetRules>;
  /** the deployment epoch to trust a ledger under, given the sentinel the account's read saw */
  epoch: (sentinel: string | null) => Promise<string>;
  now: () => number;
  random: () => number;
  retry: { baseMs: number; maxMs: number };
  log: Logger;
  leaseMs?: number;
  observer?: EngineObserver;
  /** how long an unanswered create may still be applied: the provider timeout's ceiling (session.ts) */
  createAnswerWindowMs?: number;
  /** create a conversation an add found missing (CREATE_MISSING_CONVERSATIONS; default true) */
  createMissingConversations?: boolean;
  /** a read-back that served this verification request sent this many requests: charge its budget */
  chargeVerification?: (requests: number, request: string) => Promise<void>;
  /** 'full' evaluates every conversation every time (the benchmark's "before"); default 'auto' */
  evaluation?: 'auto' | 'full';
  /** accounts with this many conversations keep their evaluation (KEEP_EVALUATION_FROM) */
  keepEvaluationFrom?: number;
  /** told how each reconcile evaluated (tests and the benchmark look) */
  onEvaluated?: (account: string, mode: 'incremental' | 'full') => void;
}

export type ReconcileOutcome =
  /** another worker holds the account: try again shortly */
  | { status: 'busy' }
  | {
      status: 'done';
      calls: number;
      /** HTTP requests sent (what a provider's rate limit counts) */
      requests: number;
      /** while the lease was held: for tracing that one account never runs twice at once */
      startedAt: number;
      finishedAt: number;
      overflow: Overflow[];
      /** memberships over provider limits: `overflow` and those cut before the planner */
      overflowCount: number;
      /** items or folders wait for a retry: reconcile again after this long */
      requeueAfterMs?: number;
    };

/** Plans are recomputed after each round; more rounds than this means something keeps refusing. */
const MAX_ROUNDS = 6;

/**
 * One level-triggered reconcile of one account: read facts and ledger, compare with what the
 * rules want, execute the fewest calls, record each confirmed effect. Safe to run twice and
 * safe to kill at any point. Transient provider errors propagate so the job retries with
 * backoff; everything confirmed before them stays recorded.
 */
export async function reconcileAccount(
  account: string,
  deps: ReconcileDeps,
  signal?: AbortSignal,
  /** the worker and job running it: recorded with the lease, for a takeover should the worker die */
  holder?: LeaseHolder,
): Promise<ReconcileOutcome> {
  const leaseMs = deps.leaseMs ?? 60_000;
  const lease = await deps.store.acquireLease(account, leaseMs, holder);
  if (!lease) return { status: 'busy' };
  const renew = setInterval(() => {
    deps.store
      .renewLease(lease, leaseMs)
      .catch((error: unknown) => deps.log.warn({ err: error, account }, 'lease renewal failed'));
  }, leaseMs / 3);
  const startedAt = deps.now();
  try {
    const state = await deps.store.load(account, { incremental: deps.evaluation !== 'full' });
    const session = new AccountSession(lease, state, deps.store, {
      now: deps.now,
      leaseMs,
      retryDelayMs: (attempts) => backoffMs(attempts, deps.retry.baseMs, deps.retry.maxMs, deps.random),
      createAnswerWindowMs: deps.createAnswerWindowMs ?? 0,
    });
    await discardCorrupt(session, deps);
    const rules = await deps.rules(state.fleet.rulesGeneration);
    const epoch = await deps.epoch(state.fleet.deployment);
    const ctx: ReconcileContext = {
      ...deps,
      session,
      calls: 0,
      requests: 0,
      signal,
      createMissingConversations: deps.createMissingConversations ?? true,
      conversationsCreated: new Set(),
    };
    const ev = await evaluate(session, rules, epoch, deps);
    // sliced: a 100k-conversation account must not hold the event loop (health checks, job locks)
    const desire = () => ev.desire();

    const drift = await readBackIfNeeded(ctx, deps, epoch, desire);
    const converged = await converge(ctx, desire, ev);
    // drift counts as repaired once the plan after the read-back ran to the end
    if (drift && driftCount(drift) > 0 && converged.settled) deps.observer?.driftRepaired?.(drift);
    return await finish(ctx, deps, ev, converged, { startedAt, rulesGeneration: rules.generation });
  } finally {
    clearInterval(renew);
    await deps.store.releaseLease(lease).catch(() => {});
  }
}

/** How this reconcile evaluates the rules (see evaluation.ts), told to `onEvaluated`. */
async function evaluate(
  session: AccountSession,
  rules: FleetRules,
  epoch: string,
  deps: ReconcileDeps,
): Promise<Evaluator> {
  const { state, lease } = session;
  const ev = await evaluator({
    store: deps.store,
    lease,
    state,
    rules,
    provider: deps.provider,
    now: deps.now,
    readBack: needsReadBack(state, epoch),
    ...(deps.evaluation ? { mode: deps.evaluation } : {}),
    ...(deps.keepEvaluationFrom === undefined ? {} : { keepFrom: deps.keepEvaluationFrom }),
  });
  deps.onEvaluated?.(session.account, ev.mode);
  return ev;
}

/**
 * Records the run in the account's status and says how it went, and when to reconcile again:
 * the next item retry, a failed folder's retry, soon when the rounds ran out unsettled, or when
 * an unanswered create can no longer be applied.
 */
async function finish(
  ctx: ReconcileContext,
  deps: ReconcileDeps,
  ev: Evaluator,
  { last, desired, settled, failedFolders }: Converged,
  run: { startedAt: number; rulesGeneration: number | undefined },
): Promise<ReconcileOutcome> {
  const overflow = last?.overflow ?? [];
  const overflowCount = overflow.length + (last ? ev.cutOverflow(last) : 0);
  await ctx.session.finish({
    startedAt: run.startedAt,
    calls: ctx.calls,
    overflow: overflowCount,
    staleRejections: desired.staleRejections,
    failedFolders,
    rulesGeneration: run.rulesGeneration,
  });
  const waits = [
    desired.nextRetryAt === undefined ? undefined : desired.nextRetryAt - deps.now(),
    failedFolders.size > 0 ? deps.retry.maxMs : undefined,
    settled ? undefined : deps.retry.baseMs,
    ctx.session.pendingCreatesUntil === undefined ? undefined : ctx.session.pendingCreatesUntil - deps.now(),
  ].filter((w): w is number => w !== undefined);
  return {
    status: 'done',
    calls: ctx.calls,
    requests: ctx.requests,
    startedAt: run.startedAt,
    finishedAt: deps.now(),
    overflow,
    overflowCount,
    ...(waits.length ? { requeueAfterMs: Math.max(1, Math.min(...waits)) } : {}),
  };
}

/**
 * Reads the provider's groups back before planning when the ledger cannot be trusted as it is:
 * first contact under this deployment epoch (a new account, or Redis lost data), a resync
 * request (a lost answer, `resync`, verification), or a create whose answer never came.
 */
async function readBackIfNeeded(
  ctx: ReconcileContext,
  deps: ReconcileDeps,
  epoch: string,
  desire: () => Promise<DesiredState>,
): Promise<RepairResult | undefined> {
  const { state } = ctx.session;
  const firstContact = state.ledger.epoch !== epoch;
  const { resyncRequest, verifyRequest } = state;
  const requested =
    resyncRequest !== undefined || verifyRequest !== undefined || state.status.callsStartedAt !== undefined;
  if (!needsReadBack(state, epoch)) return undefined;
  const requestsBefore = ctx.requests;
  const desired = await desire();
  const drift = await repair(ctx, {
    full: firstContact || requested,
    desiredNames: new Map(desired.input.folders.map((f) => [f.key, f.groupName])),
    epoch,
    ...(resyncRequest === undefined ? {} : { resyncRequest }),
    ...(verifyRequest === undefined ? {} : { verifyRequest }),
    trusted: !firstContact,
  });
  if (verifyRequest !== undefined)
    await deps.chargeVerification?.(ctx.requests - requestsBefore, verifyRequest);
  if (firstContact) deps.observer?.firstContact?.(ctx.session.account, ctx.session.ledger.groups.size);
  deps.observer?.driftFound?.(drift);
  return drift;
}

/**
 * Whether the provider's groups are read back before planning: first contact under this
 * deployment epoch (a new account, or Redis lost data), a resync or verification request, a
 * reconcile that stopped mid-calls, or a create whose answer never came.
 */
function needsReadBack(state: LoadedAccount, epoch: string): boolean {
  return (
    state.ledger.epoch !== epoch ||
    state.resyncRequest !== undefined ||
    state.verifyRequest !== undefined ||
    // the last reconcile stopped mid-calls (killed, or its lease lost): its last change may be unrecorded
    state.status.callsStartedAt !== undefined ||
    [...state.ledger.groups.values()].some((g) => g.pending)
  );
}

interface Converged {
  /** the last plan made (undefined: none) */
  last: Plan | undefined;
  desired: DesiredState;
  /** the last plan had nothing left to do */
  settled: boolean;
  failedFolders: Set<FolderKey>;
}

/** Plan, execute, plan again until nothing is left to do (or MAX_ROUNDS). */
async function converge(
  ctx: ReconcileContext,
  desire: () => Promise<DesiredState>,
  ev: Evaluator,
): Promise<Converged> {
  let settled = false;
  let last: Plan | undefined;
  let desired = await desire();
  const failedFolders = new Set<FolderKey>();
  for (let round = 0; round <= MAX_ROUNDS && !settled; round++) {
    if (round > 0) desired = await desire();
    last = await runSliced(planSteps(desired.input));
    if (last.unresolved.length > 0) {
      await repair(ctx, {
        full: false,
        desiredNames: new Map(desired.input.folders.map((f) => [f.key, f.groupName])),
        trusted: false,
      });
      continue;
    }
    const calls = last.calls.filter((c) => !failedFolders.has(c.folder));
    settled = calls.length === 0;
    if (settled || round === MAX_ROUNDS) break;
    await ev.prepare(last);
    const created = new Map<FolderKey, string>();
    for (const call of calls) {
      if (failedFolders.has(call.folder)) continue;
      const outcome = await executeCall(ctx, call, desired, created);
      if (outcome === 'folder-failed') failedFolders.add(call.folder);
      if (outcome === 'replan') break;
    }
  }
  return { last, desired, settled, failedFolders };
}

/** Records that did not decode are dropped; a ledger is kept aside first, then rebuilt. */
async function discardCorrupt(session: AccountSession, deps: ReconcileDeps): Promise<void> {
  const { corrupt } = session.state;
  const dropped =
    corrupt.ledger.length + corrupt.rejections.length + corrupt.retries.length + corrupt.status.length;
  if (dropped + corrupt.facts + session.state.frozenFolders.size === 0) return;
  deps.log.warn(
    { account: session.account, corrupt, frozenFolders: [...session.state.frozenFolders] },
    'stored records did not decode: dropped (a ledger is quarantined and rebuilt from the provider); facts skipped; user folders frozen',
  );
  deps.observer?.corruptRecords?.(dropped + corrupt.facts);
  if (corrupt.ledger.length > 0) await deps.store.quarantineLedger(session.account);
  await session.discardCorrupt();
}
