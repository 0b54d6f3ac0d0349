import type { DesiredState } from '../plan/desired.js';
import { type ConversationKey, type FolderKey, type PlannedCall, pairKey } from '../plan/types.js';
import { type GroupRef, type ItemResult, isProviderError } from '../provider/types.js';
import { LeaseLostError, ledgerField, type WriteOp } from '../store/account-store.js';
import { backoffMs } from './backoff.js';
import { gated, type ReconcileContext } from './reconcile-context.js';

export type CallOutcome =
  /** done; the ledger holds what the provider confirmed */
  | 'ok'
  /** the group vanished or the account is out of groups: plan again */
  | 'replan'
  /** refused for good: skip this folder's other calls until something changes */
  | 'folder-failed';

/**
 * Executes one planned call and records its confirmed effect in the ledger right away, so a
 * worker killed mid-plan resumes without repeating confirmed work. Transient errors propagate
 * (the job retries with backoff); a create that may have been applied stays `pending` in the
 * ledger and is resolved by listing and adopting before anything is created again.
 */
export async function executeCall(
  ctx: ReconcileContext,
  call: PlannedCall,
  desired: DesiredState,
  createdGroups: Map<FolderKey, string>,
): Promise<CallOutcome> {
  const { account, provider, state } = ctx;
  const ledger = state.ledger;
  try {
    switch (call.kind) {
      case 'delete':
        await gated(ctx, () => provider.delete(account, groupRef(ctx, call.folder, call.groupId))).catch(
          ignoreMissing(ctx),
        );
        await forgetGroup(ctx, call.folder);
        return 'ok';
      case 'rename': {
        await gated(ctx, () => provider.rename(account, groupRef(ctx, call.folder, call.groupId), call.name));
        const group = { ...ledger.groups.get(call.folder)!, name: call.name };
        ledger.groups.set(call.folder, group);
        await ctx.store.write(ctx.lease, [setGroup(call.folder, group)]);
        return 'ok';
      }
      case 'create': {
        // Written before the call: a crash or a lost answer leaves `pending` behind, and the
        // next reconcile lists the account's groups and adopts the marked one.
        const pending = { name: call.name, pending: true };
        ledger.groups.set(call.folder, pending);
        await ctx.store.write(ctx.lease, [setGroup(call.folder, pending)]);
        const res = await gated(ctx, () => provider.create(account, call.folder, call.name, call.ids));
        createdGroups.set(call.folder, res.groupId);
        const group = { groupId: res.groupId, name: call.name, pending: false };
        ledger.groups.set(call.folder, group);
        await ctx.store.write(ctx.lease, [
          setGroup(call.folder, group),
          ...itemOps(ctx, call.folder, res, 'add', desired),
        ]);
        return 'ok';
      }
      case 'add':
      case 'remove':
      case 'update': {
        const groupId = call.groupId || createdGroups.get(call.folder);
        if (!groupId) return 'replan'; // its create failed: the next plan retries the create
        const change =
          call.kind === 'update' ? { add: call.add, remove: call.remove } : { [call.kind]: call.ids };
        const res = await gated(ctx, () =>
          provider.changeMembers(account, groupRef(ctx, call.folder, groupId), change),
        );
        const removed = new Set<ConversationKey>(
          call.kind === 'remove' ? call.ids : call.kind === 'update' ? call.remove : [],
        );
        const part = (wasRemoved: boolean): ItemResult => ({
          succeeded: res.succeeded.filter((c) => removed.has(c) === wasRemoved),
          failed: res.failed.filter((f) => removed.has(f.conversation) === wasRemoved),
        });
        await ctx.store.write(ctx.lease, [
          ...itemOps(ctx, call.folder, part(false), 'add', desired),
          ...itemOps(ctx, call.folder, part(true), 'remove', desired),
        ]);
        return 'ok';
      }
    }
  } catch (error) {
    if (!isProviderError(error) || error.kind === 'transient' || error.kind === 'ambiguous') {
      // The change may have been applied without the ledger learning it (a lost answer, a lost
      // lease before the ledger write): the next reconcile reads the groups back first, or a
      // desired state that flips back meanwhile would leave the change in place for good.
      // A create has its own record (`pending`), unless the lease was lost around it: a worker
      // frozen between its lease check and the request sends the create after a successor
      // dropped that record and made the group itself, so only a read-back finds the duplicate.
      if (call.kind !== 'create' || error instanceof LeaseLostError) {
        await ctx.store.requestResync(account).catch(() => {});
      }
      throw error;
    }
    const condition = provider.condition(error);
    if (condition === 'group_missing') {
      // Deleted in a client or by support: forget it, the next plan recreates what is wanted.
      await forgetGroup(ctx, call.folder);
      return 'replan';
    }
    if (call.kind === 'create') {
      ledger.groups.delete(call.folder);
      await ctx.store.write(ctx.lease, [
        { hash: 'ledger', op: 'del', field: ledgerField.group(call.folder) },
      ]);
    }
    if (condition === 'group_limit') {
      // Groups we do not manage fill the account: count them so the planner stays under the limit.
      const groups = await gated(ctx, () => provider.listGroups(account, expectedNames(ctx)));
      const foreign = groups.filter((g) => !g.folder).length;
      if (foreign !== ledger.foreignGroups) {
        ledger.foreignGroups = foreign;
        await ctx.store.write(ctx.lease, [
          { hash: 'ledger', op: 'set', field: ledgerField.foreign, value: String(foreign) },
        ]);
        return 'replan';
      }
      // Nothing new to count: the package allows fewer groups than GROUPS_PER_ACCOUNT says.
      ctx.log.warn(
        { account, groups: groups.length },
        'provider refused a group under GROUPS_PER_ACCOUNT: is it set too high?',
      );
    }
    ctx.log.warn({ account, folder: call.folder, call: call.kind, err: error }, 'provider refused a call');
    await ctx.store.write(ctx.lease, [
      {
        hash: 'status',
        op: 'set',
        field: `error|${call.folder}`,
        value: JSON.stringify({
          code: error.code,
          msg: error.msg,
          endpoint: error.endpoint,
          traceId: error.traceId,
          at: ctx.now(),
        }),
      },
    ]);
    return 'folder-failed';
  }
}

/** Ledger and retry/rejection bookkeeping for one membership result. */
function itemOps(
  ctx: ReconcileContext,
  folder: FolderKey,
  res: ItemResult,
  direction: 'add' | 'remove',
  desired: DesiredState,
): WriteOp[] {
  const { state, now } = ctx;
  const ops: WriteOp[] = [];
  let members = state.ledger.members.get(folder);
  if (!members) {
    members = new Set();
    state.ledger.members.set(folder, members);
  }
  for (const conv of res.succeeded) {
    const field = ledgerField.member(folder, conv);
    if (direction === 'add') {
      members.add(conv);
      ops.push({ hash: 'ledger', op: 'set', field, value: '1' });
    } else {
      members.delete(conv);
      ops.push({ hash: 'ledger', op: 'del', field });
    }
    const pair = pairKey(folder, conv);
    if (state.retries.delete(pair)) ops.push({ hash: 'retries', op: 'del', field: pair });
    if (state.rejections.delete(pair)) ops.push({ hash: 'rejections', op: 'del', field: pair });
  }
  const rejected = res.failed.filter((f) => f.kind === 'permanent').length;
  if (res.failed.length) ctx.observer?.itemsFailed?.({ retried: res.failed.length - rejected, rejected });
  for (const f of res.failed) {
    const pair = pairKey(folder, f.conversation);
    if (f.kind === 'permanent') {
      const rejection = {
        code: f.code,
        msg: f.msg,
        at: now(),
        fp: desired.fingerprint(folder, f.conversation),
      };
      state.rejections.set(pair, rejection);
      ops.push({ hash: 'rejections', op: 'set', field: pair, value: JSON.stringify(rejection) });
    } else {
      // transient (or a per-item 416, which does not count as an attempt)
      const prev = state.retries.get(pair);
      const attempts = (prev?.attempts ?? 0) + (f.kind === 'rate_limited' ? 0 : 1);
      const retry = {
        attempts,
        code: f.code,
        notBefore: now() + backoffMs(Math.max(1, attempts), ctx.retry.baseMs, ctx.retry.maxMs, ctx.random),
      };
      state.retries.set(pair, retry);
      ops.push({ hash: 'retries', op: 'set', field: pair, value: JSON.stringify(retry) });
    }
  }
  return ops;
}

/** The ledger's name for a group (what name-addressed providers need) with its id. */
function groupRef(ctx: ReconcileContext, folder: FolderKey, groupId: string): GroupRef {
  return { groupId, name: ctx.state.ledger.groups.get(folder)?.name ?? '' };
}

/**
 * The group name the engine expects for each folder (name-addressed providers): the ledger's
 * for folders it holds, else the rules'. One name per folder, so a user's own group that happens
 * to carry a folder's next name is never taken for a second copy of that folder's group.
 */
export function expectedNames(
  ctx: ReconcileContext,
  desiredNames: ReadonlyMap<FolderKey, string> = new Map(),
) {
  const names = new Map<string, FolderKey>();
  const ledger = ctx.state.ledger.groups;
  for (const [folder, group] of ledger) names.set(group.name, folder);
  for (const [folder, name] of desiredNames) {
    if (!ledger.has(folder) && !names.has(name)) names.set(name, folder);
  }
  return names;
}

function setGroup(folder: FolderKey, group: object): WriteOp {
  return { hash: 'ledger', op: 'set', field: ledgerField.group(folder), value: JSON.stringify(group) };
}

/** Drops a group and its members from the ledger. */
export async function forgetGroup(ctx: ReconcileContext, folder: FolderKey): Promise<void> {
  const ledger = ctx.state.ledger;
  const ops: WriteOp[] = [{ hash: 'ledger', op: 'del', field: ledgerField.group(folder) }];
  for (const conv of ledger.members.get(folder) ?? [])
    ops.push({ hash: 'ledger', op: 'del', field: ledgerField.member(folder, conv) });
  ledger.groups.delete(folder);
  ledger.members.delete(folder);
  await ctx.store.write(ctx.lease, ops);
}

const ignoreMissing = (ctx: ReconcileContext) => (error: unknown) => {
  if (isProviderError(error) && ctx.provider.condition(error) === 'group_missing') return;
  throw error;
};
