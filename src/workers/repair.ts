import type { ConversationKey, FolderKey } from '../plan/types.js';
import { isProviderError, type RemoteGroup } from '../provider/types.js';
import { conversationKey } from '../rules/evaluate.js';
import { ledgerField, type WriteOp } from '../store/account-store.js';
import { expectedNames } from './execute-call.js';
import { gated, type ReconcileContext } from './reconcile-context.js';

const byGroupId = (a: RemoteGroup, b: RemoteGroup) => {
  const x = BigInt(a.groupId);
  const y = BigInt(b.groupId);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Reads the provider's groups and makes the ledger say what is really there:
 * - a folder whose create outcome was unknown adopts its marked group (the oldest, if several);
 * - duplicate marked groups of one folder are deleted, keeping the ledger's (else the oldest);
 * - ledger groups that no longer exist are forgotten;
 * - with `full` (account.resync / `folder-sync resync`), every managed group's members are
 *   read back, so the next plan removes foreign members and adds missing ones.
 * Groups without the marker (the user's own) are only counted, never touched.
 */
export async function repair(
  ctx: ReconcileContext,
  full: boolean,
  desiredNames: ReadonlyMap<FolderKey, string> = new Map(),
): Promise<void> {
  const { account, provider, state } = ctx;
  const ledger = state.ledger;
  const remote = await gated(ctx, () => provider.listGroups(account, expectedNames(ctx, desiredNames)));
  const marked = new Map<FolderKey, RemoteGroup[]>();
  for (const g of remote) {
    if (g.folder) marked.set(g.folder, [...(marked.get(g.folder) ?? []), g]);
  }
  const ops: WriteOp[] = [];
  const readMembers = new Map<string, FolderKey>();
  for (const folder of new Set([...ledger.groups.keys(), ...marked.keys()])) {
    const mine = ledger.groups.get(folder);
    const candidates = (marked.get(folder) ?? []).sort(byGroupId);
    const keep = candidates.find((g) => g.groupId === mine?.groupId) ?? candidates[0];
    for (const duplicate of candidates) {
      if (duplicate === keep) continue;
      await gated(ctx, () => provider.delete(account, duplicate)).catch((error: unknown) => {
        if (!(isProviderError(error) && provider.condition(error) === 'group_missing')) throw error;
      });
      ctx.log.info({ account, folder, groupId: duplicate.groupId }, 'deleted a duplicate managed group');
    }
    if (!keep) {
      if (mine) {
        ops.push({ hash: 'ledger', op: 'del', field: ledgerField.group(folder) });
        for (const conv of ledger.members.get(folder) ?? []) ops.push(memberDel(folder, conv));
        ledger.groups.delete(folder);
        ledger.members.delete(folder);
      }
      continue;
    }
    const adopted = !mine || mine.pending || mine.groupId !== keep.groupId;
    if (adopted) {
      const group = { groupId: keep.groupId, name: keep.name, pending: false };
      ledger.groups.set(folder, group);
      ops.push({ hash: 'ledger', op: 'set', field: ledgerField.group(folder), value: JSON.stringify(group) });
      if (mine?.pending)
        ctx.log.info(
          { account, folder, groupId: keep.groupId },
          'adopted a group whose create answer was lost',
        );
    } else if (full && mine && mine.name !== keep.name) {
      // renamed in a client, or a rename whose answer was lost: the ledger learns the real name
      const group = { ...mine, name: keep.name };
      ledger.groups.set(folder, group);
      ops.push({ hash: 'ledger', op: 'set', field: ledgerField.group(folder), value: JSON.stringify(group) });
    }
    if (adopted || full) readMembers.set(keep.groupId, folder);
  }
  if (readMembers.size > 0) {
    const members = await gated(ctx, () =>
      provider.members(account, [...readMembers.keys()], knownConversations(ctx)),
    );
    for (const [groupId, folder] of readMembers) {
      const now = new Set<ConversationKey>(members.get(groupId) ?? []);
      const before = ledger.members.get(folder) ?? new Set<ConversationKey>();
      for (const conv of before) if (!now.has(conv)) ops.push(memberDel(folder, conv));
      for (const conv of now)
        if (!before.has(conv))
          ops.push({ hash: 'ledger', op: 'set', field: ledgerField.member(folder, conv), value: '1' });
      ledger.members.set(folder, now);
    }
  }
  ledger.foreignGroups = remote.length - [...marked.values()].reduce((n, list) => n + list.length, 0);
  ops.push({ hash: 'ledger', op: 'set', field: ledgerField.foreign, value: String(ledger.foreignGroups) });
  await ctx.store.write(ctx.lease, ops);
}

/** Every conversation key the account's facts, user folders and ledger mention. */
function knownConversations({ state }: ReconcileContext): Set<ConversationKey> {
  const known = new Set<ConversationKey>([...state.facts.recency.keys(), ...state.facts.removed]);
  for (const { folder } of state.userFolders)
    for (const c of folder.include ?? []) known.add(conversationKey(c));
  for (const members of state.ledger.members.values()) for (const c of members) known.add(c);
  return known;
}

const memberDel = (folder: FolderKey, conv: ConversationKey): WriteOp => ({
  hash: 'ledger',
  op: 'del',
  field: ledgerField.member(folder, conv),
});
