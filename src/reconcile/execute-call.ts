import type { DesiredState } from '../plan/desired.js';
import type { ConversationKey, FolderKey, PlannedCall } from '../plan/types.js';
import { type GroupRef, type ItemResult, isProviderError, type ProviderError } from '../provider/types.js';
import { LeaseLostError } from '../store/account-store.js';
import { gated, maybeSent, type ReconcileContext } from './context.js';
import { expectedNames } from './expected-names.js';

export type CallOutcome =
  /** done; the ledger holds what the provider confirmed */
  | 'ok'
  /** the group vanished or the account is out of groups: plan again */
  | 'replan'
  /** refused for good: skip this folder's other calls until something changes */
  | 'folder-failed';

/** The fingerprint of a refusal in this call's folder: valid while the conversation and folder stay as they are. */
type Fingerprint = (conversation: ConversationKey) => string;

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
  const { provider, session } = ctx;
  const account = session.account;
  const fingerprint: Fingerprint = (conv) => desired.fingerprint(call.folder, conv);
  await session.callsStarting();
  try {
    switch (call.kind) {
      case 'delete':
        await gated(ctx, () => provider.delete(account, groupRef(ctx, call.folder, call.groupId))).catch(
          ignoreMissing(ctx),
        );
        await session.forgetGroup(call.folder);
        return 'ok';
      case 'rename':
        await gated(ctx, () => provider.rename(account, groupRef(ctx, call.folder, call.groupId), call.name));
        await session.renamed(call.folder, call.name);
        return 'ok';
      case 'create':
        return await create(ctx, call, createdGroups, fingerprint);
      case 'add':
      case 'remove':
      case 'update':
        return await changeMembers(ctx, call, createdGroups, fingerprint);
    }
  } catch (error) {
    if (!isProviderError(error) || error.kind === 'transient' || error.kind === 'ambiguous') {
      await askForReadBack(ctx, call, error);
      throw error;
    }
    return refused(ctx, call, error);
  }
}

/** A create, its confirmed members recorded and its missing conversations created. */
async function create(
  ctx: ReconcileContext,
  call: Extract<PlannedCall, { kind: 'create' }>,
  createdGroups: Map<FolderKey, string>,
  fingerprint: Fingerprint,
): Promise<CallOutcome> {
  const { provider, session } = ctx;
  // Written before the call: a crash or a lost answer leaves `pending` behind, and the
  // next reconcile lists the account's groups and adopts the marked one.
  await session.markCreatePending(call.folder, call.name);
  const res = await gated(ctx, () => provider.create(session.account, call.folder, call.name, call.ids));
  createdGroups.set(call.folder, res.groupId);
  const { missing, rest } = splitMissing(ctx, res);
  await session.confirmCreate(call.folder, { groupId: res.groupId, name: call.name }, rest, fingerprint);
  report(ctx, rest);
  await createMissing(ctx, call.folder, missing, fingerprint);
  return 'ok';
}

/** An add, remove or (mixed) update of a group's members: each item's result recorded. */
async function changeMembers(
  ctx: ReconcileContext,
  call: Extract<PlannedCall, { kind: 'add' | 'remove' | 'update' }>,
  createdGroups: Map<FolderKey, string>,
  fingerprint: Fingerprint,
): Promise<CallOutcome> {
  const { provider, session } = ctx;
  const groupId = call.groupId || createdGroups.get(call.folder);
  if (!groupId) return 'replan'; // its create failed: the next plan retries the create
  const change = call.kind === 'update' ? { add: call.add, remove: call.remove } : { [call.kind]: call.ids };
  const res = await gated(ctx, () =>
    provider.changeMembers(session.account, groupRef(ctx, call.folder, groupId), change),
  );
  const removed = new Set<ConversationKey>(
    call.kind === 'remove' ? call.ids : call.kind === 'update' ? call.remove : [],
  );
  const part = (wasRemoved: boolean): ItemResult => ({
    succeeded: res.succeeded.filter((c) => removed.has(c) === wasRemoved),
    failed: res.failed.filter((f) => removed.has(f.conversation) === wasRemoved),
  });
  const { missing, rest } = splitMissing(ctx, part(false));
  await session.recordItems(call.folder, { added: rest, removed: part(true) }, fingerprint);
  report(ctx, { succeeded: [], failed: [...rest.failed, ...part(true).failed] });
  await createMissing(ctx, call.folder, missing, fingerprint);
  return 'ok';
}

/**
 * The change may have been applied without the ledger learning it (a lost answer, a lost lease
 * before the ledger write): the next reconcile reads the groups back first, or a desired state
 * that flips back meanwhile would leave the change in place for good. A create has its own
 * record (`pending`), unless the lease was lost around it: a worker frozen between its lease
 * check and the request sends the create after a successor dropped that record and made the
 * group itself, so only a read-back finds the duplicate. A call stopped before its request was
 * sent (a shutdown, a lease found lost) changed nothing.
 */
async function askForReadBack(ctx: ReconcileContext, call: PlannedCall, error: unknown): Promise<void> {
  if (!maybeSent(error)) return;
  if (call.kind !== 'create' || error instanceof LeaseLostError) {
    await ctx.session.requestResync().catch(() => {});
  }
}

/** A permanent refusal: forget a vanished group, count foreign groups, or fail the folder. */
async function refused(ctx: ReconcileContext, call: PlannedCall, error: ProviderError): Promise<CallOutcome> {
  const { provider, session } = ctx;
  const condition = provider.condition(error);
  if (condition === 'group_missing') {
    // Deleted in a client or by support: forget it, the next plan recreates what is wanted.
    await session.forgetGroup(call.folder);
    return 'replan';
  }
  if (call.kind === 'create') await session.dropCreate(call.folder);
  if (condition === 'group_limit') {
    // Groups we do not manage fill the account: count them so the planner stays under the limit.
    const groups = await gated(ctx, () => provider.listGroups(session.account, expectedNames(session.state)));
    const foreign = groups.filter((g) => !g.folder).length;
    if (foreign !== session.ledger.foreignGroups) {
      await session.setForeignGroups(foreign);
      return 'replan';
    }
    // Nothing new to count: the package allows fewer groups than GROUPS_PER_ACCOUNT says.
    ctx.log.warn(
      { account: session.account, groups: groups.length },
      'provider refused a group under GROUPS_PER_ACCOUNT: is it set too high?',
    );
  }
  ctx.log.warn(
    { account: session.account, folder: call.folder, call: call.kind, err: error },
    'provider refused a call',
  );
  const nameRefused =
    (call.kind === 'create' || call.kind === 'rename') && provider.nameRefusalCodes.has(error.code);
  await session.recordFolderError(call.folder, {
    code: error.code,
    // the limit on names is not documented everywhere: say where to look
    msg: nameRefused
      ? `${error.msg} (the group name "${call.name}" may be longer than this IM package allows: lower GROUP_NAME_MAX_LENGTH)`
      : error.msg,
    endpoint: error.endpoint,
    traceId: error.traceId,
    at: ctx.now(),
  });
  return 'folder-failed';
}

/**
 * Adds refused because the conversation does not exist server-side (Yunxin 110404), when this
 * service may create conversations; the rest go on to the usual bookkeeping. A conversation this
 * reconcile created already and that is still refused goes on too (as a rejection): no loop.
 */
function splitMissing(
  ctx: ReconcileContext,
  res: ItemResult,
): { missing: ConversationKey[]; rest: ItemResult } {
  const code = ctx.provider.missingConversationCode;
  if (!ctx.createMissingConversations || code === undefined || !ctx.provider.createConversation)
    return { missing: [], rest: res };
  const isMissing = (f: ItemResult['failed'][number]) =>
    f.code === code && !ctx.conversationsCreated.has(f.conversation);
  return {
    missing: res.failed.filter(isMissing).map((f) => f.conversation),
    rest: { succeeded: res.succeeded, failed: res.failed.filter((f) => !isMissing(f)) },
  };
}

/**
 * Creates conversations an add found missing, so the next round adds them again. Never one the
 * app has removed meanwhile (the next plan does not want it either). A create refused for good
 * is recorded as the item's rejection.
 */
async function createMissing(
  ctx: ReconcileContext,
  folder: FolderKey,
  missing: readonly ConversationKey[],
  fingerprint: (conv: ConversationKey) => string,
): Promise<void> {
  const { provider, session } = ctx;
  let created = 0;
  for (const conv of missing) {
    if (session.state.facts.removed.has(conv) || ctx.conversationsCreated.has(conv)) continue;
    try {
      await gated(ctx, () => provider.createConversation!(session.account, conv));
      ctx.conversationsCreated.add(conv);
      created++;
    } catch (error) {
      if (!isProviderError(error) || error.kind !== 'permanent') throw error;
      const failed = [{ conversation: conv, code: error.code, msg: error.msg, kind: error.kind }];
      await session.recordItems(folder, { added: { succeeded: [], failed } }, fingerprint);
    }
  }
  if (created > 0) {
    await session.conversationsCreated(created);
    ctx.observer?.conversationsCreated?.(created);
  }
}

function report(ctx: ReconcileContext, res: ItemResult): void {
  if (res.failed.length === 0) return;
  const rejected = res.failed.filter((f) => f.kind === 'permanent').length;
  ctx.observer?.itemsFailed?.({ retried: res.failed.length - rejected, rejected });
}

/** The ledger's name for a group (what name-addressed providers need) with its id. */
function groupRef(ctx: ReconcileContext, folder: FolderKey, groupId: string): GroupRef {
  return { groupId, name: ctx.session.ledger.groups.get(folder)?.name ?? '' };
}

const ignoreMissing = (ctx: ReconcileContext) => (error: unknown) => {
  if (isProviderError(error) && ctx.provider.condition(error) === 'group_missing') return;
  throw error;
};
