import type { ConversationKey, FolderKey } from '../plan/types.js';
import { isProviderError, type RemoteGroup } from '../provider/types.js';
import { conversationKey } from '../rules/evaluate.js';
import { gated, type ReconcileContext } from './context.js';
import { expectedNames } from './expected-names.js';
import type { RepairResult } from './session.js';

export interface RepairOptions {
  /** read every managed group's members back (first contact, resync, verification) */
  full: boolean;
  /** the group name the rules want per folder (name-addressed providers find groups by name) */
  desiredNames: ReadonlyMap<FolderKey, string>;
  /** with `full`: the deployment epoch under which the ledger is trusted afterwards */
  epoch?: string;
  /** the resync request this read-back serves */
  resyncRequest?: string;
  /** the verification request it serves */
  verifyRequest?: string;
  /** the ledger was trusted before: what differs is drift (else it is adoption) */
  trusted: boolean;
}

export const driftCount = (d: RepairResult): number =>
  d.groupsMissing + d.groupsRenamed + d.membersMissing + d.membersExtra + d.duplicates;

const byGroupId = (a: RemoteGroup, b: RemoteGroup) => {
  const x = BigInt(a.groupId);
  const y = BigInt(b.groupId);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Reads the provider's groups and makes the ledger say what is really there:
 * - a folder with no confirmed group (first contact, a lost create answer) adopts its marked
 *   group (the oldest, if several), members included;
 * - duplicate marked groups of one folder are deleted, keeping the ledger's (else the oldest);
 * - ledger groups that no longer exist are forgotten;
 * - with `full`, every managed group's members are read back, so the next plan removes foreign
 *   members and adds missing ones.
 * Groups without the marker (the user's own) are only counted, never touched.
 */
export async function repair(ctx: ReconcileContext, opts: RepairOptions): Promise<RepairResult> {
  const { provider, session } = ctx;
  const account = session.account;
  const ledger = session.ledger;
  const remote = await gated(ctx, () =>
    provider.listGroups(account, expectedNames(session.state, opts.desiredNames)),
  );
  const marked = new Map<FolderKey, RemoteGroup[]>();
  for (const g of remote) {
    if (g.folder) marked.set(g.folder, [...(marked.get(g.folder) ?? []), g]);
  }
  const trusted = new Set(
    opts.trusted ? [...ledger.groups].filter(([, g]) => !g.pending).map(([folder]) => folder) : [],
  );
  const kept = new Map<FolderKey, { groupId: string; name: string }>();
  const readMembers = new Map<string, FolderKey>();
  let duplicates = 0;
  for (const [folder, candidates] of marked) {
    const mine = ledger.groups.get(folder);
    candidates.sort(byGroupId);
    const keep = candidates.find((g) => g.groupId === mine?.groupId) ?? candidates[0]!;
    for (const duplicate of candidates) {
      if (duplicate === keep) continue;
      await gated(ctx, () => provider.delete(account, duplicate)).catch((error: unknown) => {
        if (!(isProviderError(error) && provider.condition(error) === 'group_missing')) throw error;
      });
      duplicates++;
      ctx.log.info({ account, folder, groupId: duplicate.groupId }, 'deleted a duplicate managed group');
    }
    kept.set(folder, { groupId: keep.groupId, name: keep.name });
    const adopted = !mine || mine.pending || mine.groupId !== keep.groupId;
    if (mine?.pending)
      ctx.log.info(
        { account, folder, groupId: keep.groupId },
        'adopted a group whose create answer was lost',
      );
    if (adopted || opts.full) readMembers.set(keep.groupId, folder);
  }
  const members = new Map<FolderKey, Set<ConversationKey>>();
  if (readMembers.size > 0) {
    const read = await gated(ctx, () =>
      provider.members(account, [...readMembers.keys()], knownConversations(ctx)),
    );
    for (const [groupId, folder] of readMembers) members.set(folder, new Set(read.get(groupId) ?? []));
  }
  const managed = [...marked.values()].reduce((n, list) => n + list.length, 0);
  const drift = await session.applyReadBack(
    {
      groups: kept,
      members,
      foreignGroups: remote.length - managed,
      ...(opts.full && opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
      ...(opts.resyncRequest !== undefined ? { resyncRequest: opts.resyncRequest } : {}),
      ...(opts.verifyRequest !== undefined ? { verifyRequest: opts.verifyRequest } : {}),
    },
    (folder) => trusted.has(folder),
  );
  return { ...drift, duplicates: opts.trusted ? duplicates : 0 };
}

/** Every conversation key the account's facts, user folders and ledger mention. */
function knownConversations({ session }: ReconcileContext): Set<ConversationKey> {
  const { state } = session;
  const known = new Set<ConversationKey>([...state.facts.recency.keys(), ...state.facts.removed]);
  for (const { folder } of state.userFolders)
    for (const c of folder.include ?? []) known.add(conversationKey(c));
  for (const members of state.ledger.members.values()) for (const c of members) known.add(c);
  return known;
}
