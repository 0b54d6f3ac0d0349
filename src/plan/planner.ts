/**
 * The reconcile planner: desired folders + the ledger of what the provider confirmed → the
 * fewest provider calls that make them equal, none of which must fail. Pure and deterministic;
 * linear in the number of memberships apart from sorting.
 */

import { drain, type Steps } from '../steps.js';
import { chunk, compareKeys } from './chunk.js';
import { applyLimitsSteps } from './limits.js';
import {
  type ConversationKey,
  type FolderKey,
  type FolderSpec,
  type LedgerGroup,
  type Plan,
  type PlanInput,
  type PlannedCall,
  type ProviderLimits,
  pairKey,
} from './types.js';

const EMPTY: ReadonlySet<ConversationKey> = new Set();

/** A group we may address: confirmed and with an id. */
type KnownGroup = LedgerGroup & { groupId: string };

/**
 * A group without an id cannot be addressed whatever its flag says, so it is treated like a
 * pending one (listed as unresolved, left alone).
 */
const isKnown = (group: LedgerGroup): group is KnownGroup => !group.pending && group.groupId !== undefined;

/** Membership work for one folder that keeps (or gets) a group, found before slots are assigned. */
interface FolderWork {
  spec: FolderSpec;
  /** undefined: the group is created by this plan */
  group: KnownGroup | undefined;
  /** sorted, not blocked */
  toRemove: ConversationKey[];
  /** sorted, not blocked; slots are checked later */
  toAdd: ConversationKey[];
}

function checkLimits(limits: ProviderLimits): void {
  if (!Number.isInteger(limits.idsPerCall) || limits.idsPerCall < 1) {
    throw new RangeError(`limits.idsPerCall must be a positive integer, got ${limits.idsPerCall}`);
  }
}

/** planSteps run at once. */
export const plan = (input: PlanInput): Plan => drain(planSteps(input));

/** The planner cut into steps (src/steps.ts): it yields between folders on big accounts. */
export function* planSteps(input: PlanInput): Steps<Plan> {
  const { folders, ledger, blocked, limits } = input;
  checkLimits(limits);
  const inInput = new Set<FolderKey>();
  for (const f of folders) {
    if (inInput.has(f.key)) throw new RangeError(`folder ${f.key} is listed twice`);
    inInput.add(f.key);
  }

  // Rule 1: unresolved folders in priority order, then ones no longer in the rules by key.
  const unresolvedSet = new Set<FolderKey>();
  for (const [folder, group] of ledger.groups) if (!isKnown(group)) unresolvedSet.add(folder);
  const unresolved = [
    ...folders.filter((f) => unresolvedSet.has(f.key)).map((f) => f.key),
    ...[...unresolvedSet].filter((k) => !inInput.has(k)).sort(compareKeys),
  ];

  const { desired, overflow } = yield* applyLimitsSteps({
    folders,
    hasGroup: (folder) => ledger.groups.has(folder),
    unresolved: unresolvedSet,
    foreignGroups: ledger.foreignGroups,
    recency: input.recency,
    limits,
  });

  const membersOf = (folder: FolderKey) => ledger.members.get(folder) ?? EMPTY;
  const isBlocked = (folder: FolderKey, c: ConversationKey) =>
    blocked.size > 0 && blocked.has(pairKey(folder, c));

  // Rule 6: how many groups each conversation will be in once this plan's removals are done.
  // Every ledger group counts, pending ones and ones outside the rules included; members kept
  // for a folder without a group entry are ignored (there is no group to hold them).
  const slotLimited = !limits.mixedMembershipUpdate;
  const slots = new Map<ConversationKey, number>();
  const bump = (c: ConversationKey, by: number) => slots.set(c, (slots.get(c) ?? 0) + by);
  if (slotLimited) for (const folder of ledger.groups.keys()) for (const c of membersOf(folder)) bump(c, 1);

  // The same for conversationsPerAccount: how many ledger groups hold each conversation. Deletes
  // run first; a removal inside a mixed update may run after another folder's adds, so only
  // separate remove calls count as done before any add.
  const accountCap = limits.conversationsPerAccount;
  const holders = new Map<ConversationKey, number>();
  const hold = (c: ConversationKey, by: number) => holders.set(c, (holders.get(c) ?? 0) + by);
  if (accountCap !== undefined)
    for (const folder of ledger.groups.keys()) for (const c of membersOf(folder)) hold(c, 1);

  const deletes: PlannedCall[] = [];
  const renames: PlannedCall[] = [];
  const work: FolderWork[] = [];
  const deleteGroup = (folder: FolderKey, group: KnownGroup) => {
    deletes.push({ kind: 'delete', folder, groupId: group.groupId });
    for (const c of membersOf(folder)) {
      if (slotLimited) bump(c, -1);
      if (accountCap !== undefined) hold(c, -1);
    }
  };

  // Rule 3/4, folders in priority order: decide each group's fate and its membership diff.
  for (const spec of folders) {
    yield;
    const group = ledger.groups.get(spec.key);
    if (group !== undefined && !isKnown(group)) continue;
    const want = desired.get(spec.key);
    if (group !== undefined) {
      const emptiedAppFolder = !spec.createEagerly && spec.deleteWhenEmpty && want?.length === 0;
      if (want === undefined || emptiedAppFolder) {
        deleteGroup(spec.key, group);
        continue;
      }
      if (group.name !== spec.groupName) {
        renames.push({ kind: 'rename', folder: spec.key, groupId: group.groupId, name: spec.groupName });
      }
      const have = membersOf(spec.key);
      const wantSet = new Set(want);
      const toRemove = [...have].filter((c) => !wantSet.has(c) && !isBlocked(spec.key, c)).sort(compareKeys);
      if (slotLimited) for (const c of toRemove) bump(c, -1);
      if (accountCap !== undefined && !limits.mixedMembershipUpdate) for (const c of toRemove) hold(c, -1);
      const toAdd = want.filter((c) => !have.has(c) && !isBlocked(spec.key, c));
      work.push({ spec, group, toRemove, toAdd });
    } else if (want !== undefined && (spec.createEagerly || want.length > 0)) {
      work.push({ spec, group: undefined, toRemove: [], toAdd: want.filter((c) => !isBlocked(spec.key, c)) });
    }
  }
  // Groups of folders the rules no longer list, after the listed ones, by folder key.
  for (const folder of [...ledger.groups.keys()].filter((k) => !inInput.has(k)).sort(compareKeys)) {
    const group = ledger.groups.get(folder)!;
    if (isKnown(group)) deleteGroup(folder, group);
  }

  // Rule 5/6: assign slots in priority order (all removals are already counted) and batch.
  const size = limits.idsPerCall;
  const membership: PlannedCall[] = [];
  const creates: PlannedCall[] = [];
  const adds: PlannedCall[] = [];
  let waiting = 0;
  let grouped = 0;
  for (const n of holders.values()) if (n > 0) grouped += 1;
  for (const { spec, group, toRemove, toAdd } of work) {
    yield;
    const folder = spec.key;
    // Likewise for group size: while blocked removals keep members in a group, adds past
    // conversationsPerGroup would be refused, so they wait too.
    let room =
      limits.conversationsPerGroup - (group === undefined ? 0 : membersOf(folder).size - toRemove.length);
    const ids = toAdd.filter((c) => {
      if (room <= 0) return false;
      if (slotLimited && (slots.get(c) ?? 0) + 1 > limits.groupsPerConversation) return false;
      const joinsAccount = accountCap !== undefined && (holders.get(c) ?? 0) <= 0;
      if (joinsAccount && grouped >= accountCap) return false;
      if (slotLimited) bump(c, 1);
      if (joinsAccount) grouped += 1;
      if (accountCap !== undefined) hold(c, 1);
      room -= 1;
      return true;
    });
    waiting += toAdd.length - ids.length;
    if (group === undefined) {
      // An app folder is not created empty: when every add is held back or blocked, the create
      // waits for a later plan instead of leaving an empty group behind.
      if (ids.length === 0 && !spec.createEagerly) continue;
      const [first = [], ...rest] = chunk(ids, size);
      creates.push({ kind: 'create', folder, name: spec.groupName, ids: first });
      // The new group's id is only known once the create succeeds: `groupId: ''` tells the
      // executor to use the id returned by this folder's create (applyCalls does the same).
      for (const part of rest) adds.push({ kind: 'add', folder, groupId: '', ids: part });
    } else if (limits.mixedMembershipUpdate) {
      // Removes first, so a group at its size cap makes room before it grows.
      const ops = [...toRemove.map((id) => ({ id, add: false })), ...ids.map((id) => ({ id, add: true }))];
      for (const part of chunk(ops, size)) {
        membership.push({
          kind: 'update',
          folder,
          groupId: group.groupId,
          add: part.filter((o) => o.add).map((o) => o.id),
          remove: part.filter((o) => !o.add).map((o) => o.id),
        });
      }
    } else {
      for (const part of chunk(toRemove, size)) {
        membership.push({ kind: 'remove', folder, groupId: group.groupId, ids: part });
      }
      for (const part of chunk(ids, size)) {
        adds.push({ kind: 'add', folder, groupId: group.groupId, ids: part });
      }
    }
  }

  // Rule 7: removals free slots (and group room) before anything is added.
  return {
    calls: [...deletes, ...membership, ...renames, ...creates, ...adds],
    desired,
    overflow,
    unresolved,
    waiting,
  };
}
