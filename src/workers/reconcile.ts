import type { Logger } from '../log.js';
import { desiredState } from '../plan/desired.js';
import { plan as makePlan } from '../plan/planner.js';
import type { FolderKey, Overflow, Plan } from '../plan/types.js';
import type { GroupProvider } from '../provider/types.js';
import type { AppFolder } from '../rules/schema.js';
import type { AccountStore, WriteOp } from '../store/account-store.js';
import type { CallGate } from '../store/call-gate.js';
import { executeCall } from './execute-call.js';
import type { EngineObserver } from './observer.js';
import type { ReconcileContext } from './reconcile-context.js';
import { repair } from './repair.js';

export interface ReconcileDeps {
  store: AccountStore;
  provider: GroupProvider;
  gate: CallGate;
  appFolders: () => readonly AppFolder[];
  now: () => number;
  random: () => number;
  retry: { baseMs: number; maxMs: number };
  log: Logger;
  leaseMs?: number;
  observer?: EngineObserver;
}

export type ReconcileOutcome =
  /** another worker holds the account: try again shortly */
  | { status: 'busy' }
  | {
      status: 'done';
      calls: number;
      /** while the lease was held: for tracing that one account never runs twice at once */
      startedAt: number;
      finishedAt: number;
      overflow: Overflow[];
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
): Promise<ReconcileOutcome> {
  const leaseMs = deps.leaseMs ?? 60_000;
  const lease = await deps.store.acquireLease(account, leaseMs);
  if (!lease) return { status: 'busy' };
  const renew = setInterval(() => {
    deps.store
      .renewLease(lease, leaseMs)
      .catch((error: unknown) => deps.log.warn({ err: error, account }, 'lease renewal failed'));
  }, leaseMs / 3);
  const started = deps.now();
  try {
    const state = await deps.store.load(account);
    const ctx: ReconcileContext = { ...deps, account, lease, leaseMs, state, calls: 0, signal };
    const desiredNames = () =>
      new Map(
        desiredState(state, deps.appFolders(), deps.provider, deps.now()).input.folders.map((f) => [
          f.key,
          f.groupName,
        ]),
      );
    if (state.resync || [...state.ledger.groups.values()].some((g) => g.pending)) {
      await repair(ctx, state.resync, desiredNames());
      if (state.resync) await deps.store.clearResync(account);
    }
    let settled = false;
    let last: Plan | undefined;
    let desired = desiredState(state, deps.appFolders(), deps.provider, deps.now());
    const failedFolders = new Set<FolderKey>();
    for (let round = 0; round <= MAX_ROUNDS && !settled; round++) {
      if (round > 0) desired = desiredState(state, deps.appFolders(), deps.provider, deps.now());
      last = makePlan(desired.input);
      if (last.unresolved.length > 0) {
        await repair(ctx, false, new Map(desired.input.folders.map((f) => [f.key, f.groupName])));
        continue;
      }
      const calls = last.calls.filter((c) => !failedFolders.has(c.folder));
      settled = calls.length === 0;
      if (settled || round === MAX_ROUNDS) break;
      const created = new Map<FolderKey, string>();
      for (const call of calls) {
        if (failedFolders.has(call.folder)) continue;
        const outcome = await executeCall(ctx, call, desired, created);
        if (outcome === 'folder-failed') failedFolders.add(call.folder);
        if (outcome === 'replan') break;
      }
    }
    const overflow = last?.overflow ?? [];
    const ops: WriteOp[] = [
      ...desired.staleRejections.map((pair): WriteOp => ({ hash: 'rejections', op: 'del', field: pair })),
      { hash: 'status', op: 'set', field: 'lastSyncAt', value: String(deps.now()) },
      { hash: 'status', op: 'set', field: 'lastDurationMs', value: String(deps.now() - started) },
      { hash: 'status', op: 'set', field: 'lastCalls', value: String(ctx.calls) },
      { hash: 'status', op: 'set', field: 'overflow', value: JSON.stringify(overflow) },
    ];
    for (const field of Object.keys(state.status)) {
      const folder = field.startsWith('error|') ? field.slice(6) : undefined;
      if (folder && !failedFolders.has(folder as FolderKey)) ops.push({ hash: 'status', op: 'del', field });
    }
    await deps.store.write(lease, ops);
    const waits = [
      desired.nextRetryAt === undefined ? undefined : desired.nextRetryAt - deps.now(),
      failedFolders.size > 0 ? deps.retry.maxMs : undefined,
      settled ? undefined : deps.retry.baseMs,
    ].filter((w): w is number => w !== undefined);
    return {
      status: 'done',
      calls: ctx.calls,
      startedAt: started,
      finishedAt: deps.now(),
      overflow,
      ...(waits.length ? { requeueAfterMs: Math.max(1, Math.min(...waits)) } : {}),
    };
  } finally {
    clearInterval(renew);
    await deps.store.releaseLease(lease).catch(() => {});
  }
}
