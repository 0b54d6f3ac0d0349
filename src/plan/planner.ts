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
  type Ledger,
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
  const { folders, ledger, limits } = input;
  checkLimits(limits);
  const listed = listedFolders(folders);
  const { pending, unresolved } = unresolvedFolders(folders, ledger, listed);
  const { desired, overflow } = yield* applyLimitsSteps({
    folders,
    hasGroup: (folder) => ledger.groups.has(folder),
    unresolved: pending,
    foreignGroups: ledger.foreignGroups,
    recency: input.recency,
    limits,
  });
  const occupancy = new Occupancy(ledger, limits);
  const { deletes, renames, work } = yield* groupFates(input, desired, listed, occupancy);
  const { membership, creates, adds, waiting } = yield* membershipCalls(work, ledger, limits, occupancy);
  // Rule 7: removals free slots (and group room) before anything is added.
  return {
    calls: [...deletes, ...membership, ...renames, ...creates, ...adds],
    desired,
    overflow,
    unresolved,
    waiting,
  };
}

/** The folders' keys, each listed once. */
function listedFolders(folders: readonly FolderSpec[]): Set<FolderKey> {
  const listed = new Set<FolderKey>();
  for (const f of folders) {
    if (listed.has(f.key)) throw new RangeError(`folder ${f.key} is listed twice`);
    listed.add(f.key);
  }
  return listed;
}

/** Rule 1: unresolved folders in priority order, then ones no longer in the rules by key. */
function unresolvedFolders(folders: readonly FolderSpec[], ledger: Ledger, listed: ReadonlySet<FolderKey>) {
  const pending = new Set<FolderKey>();
  for (const [folder, group] of ledger.groups) if (!isKnown(group)) pending.add(folder);
  const unresolved = [
    ...folders.filter((f) => pending.has(f.key)).map((f) => f.key),
    ...[...pending].filter((k) => !listed.has(k)).sort(compareKeys),
  ];
  return { pending, unresolved };
}

const membersOf = (ledger: Ledger, folder: FolderKey) => ledger.members.get(folder) ?? EMPTY;

/**
 * Rule 6: how many groups each conversation will be in once this plan's removals are done.
 * Every ledger group counts, pending ones and ones outside the rules included; members kept for a
 * folder without a group entry are ignored (there is no group to hold them). The same for
 * conversationsPerAccount: how many ledger groups hold each conversation. Deletes run first; a
 * removal inside a mixed update may run after another folder's adds, so only separate remove
 * calls count as done before any add.
 */
class Occupancy {
  private readonly slots = new Map<ConversationKey, number>();
  private readonly holders = new Map<ConversationKey, number>();
  private readonly slotLimited: boolean;
  private readonly accountCap: number | undefined;
  /** conversations some group holds, counted when the adds start */
  private grouped = 0;

  constructor(
    ledger: Ledger,
    private readonly limits: ProviderLimits,
  ) {
    this.slotLimited = !limits.mixedMembershipUpdate;
    this.accountCap = limits.conversationsPerAccount;
    for (const folder of ledger.groups.keys()) for (const c of membersOf(ledger, folder)) this.join(c, 1);
  }

  private bump(c: ConversationKey, by: number): void {
    this.slots.set(c, (this.slots.get(c) ?? 0) + by);
  }

  private hold(c: ConversationKey, by: number): void {
    this.holders.set(c, (this.holders.get(c) ?? 0) + by);
  }

  private join(c: ConversationKey, by: 1 | -1): void {
    if (this.slotLimited) this.bump(c, by);
    if (this.accountCap !== undefined) this.hold(c, by);
  }

  /** A deleted group's members leave it before anything is added. */
  groupDeleted(members: Iterable<ConversationKey>): void {
    for (const c of members) this.join(c, -1);
  }

  /** Separate remove calls run before any add (a mixed update's may not). */
  membersRemoved(removed: readonly ConversationKey[]): void {
    if (this.slotLimited) for (const c of removed) this.bump(c, -1);
    if (this.accountCap !== undefined && !this.limits.mixedMembershipUpdate)
      for (const c of removed) this.hold(c, -1);
  }

  /** Every removal is counted: the adds start. */
  startAdding(): void {
    this.grouped = 0;
    for (const n of this.holders.values()) if (n > 0) this.grouped += 1;
  }

  /** Takes a slot for an add of `c` when it has one left (and room in the account). */
  admit(c: ConversationKey): boolean {
    if (this.slotLimited && (this.slots.get(c) ?? 0) + 1 > this.limits.groupsPerConversation) return false;
    const cap = this.accountCap;
    const joinsAccount = cap !== undefined && (this.holders.get(c) ?? 0) <= 0;
    if (joinsAccount && this.grouped >= cap) return false;
    if (joinsAccount) this.grouped += 1;
    this.join(c, 1);
    return true;
  }
}

/** Rule 3/4, folders in priority order: each group's fate (delete, rename, keep) and its membership diff. */
function* groupFates(
  input: PlanInput,
  desired: ReadonlyMap<FolderKey, readonly ConversationKey[]>,
  listed: ReadonlySet<FolderKey>,
  occupancy: Occupancy,
): Steps<{ deletes: PlannedCall[]; renames: PlannedCall[]; work: FolderWork[] }> {
  const { ledger, blocked } = input;
  const deletes: PlannedCall[] = [];
  const renames: PlannedCall[] = [];
  const work: FolderWork[] = [];
  const deleteGroup = (folder: FolderKey, group: KnownGroup) => {
    deletes.push({ kind: 'delete', folder, groupId: group.groupId });
    occupancy.groupDeleted(membersOf(ledger, folder));
  };
  for (const spec of input.folders) {
    yield;
    const group = ledger.groups.get(spec.key);
    if (group !== undefined && !isKnown(group)) continue;
    const want = desired.get(spec.key);
    const free = (c: ConversationKey) => blocked.size === 0 || !blocked.has(pairKey(spec.key, c));
    if (group !== undefined) {
      const emptiedAppFolder = !spec.createEagerly && spec.deleteWhenEmpty && want?.length === 0;
      if (want === undefined || emptiedAppFolder) {
        deleteGroup(spec.key, group);
        continue;
      }
      if (group.name !== spec.groupName) {
        renames.push({ kind: 'rename', folder: spec.key, groupId: group.groupId, name: spec.groupName });
      }
      const have = membersOf(ledger, spec.key);
      const wantSet = new Set(want);
      const toRemove = [...have].filter((c) => !wantSet.has(c) && free(c)).sort(compareKeys);
      occupancy.membersRemoved(toRemove);
      work.push({ spec, group, toRemove, toAdd: want.filter((c) => !have.has(c) && free(c)) });
    } else if (want !== undefined && (spec.createEagerly || want.length > 0)) {
      work.push({ spec, group: undefined, toRemove: [], toAdd: want.filter(free) });
    }
  }
  // Groups of folders the rules no longer list, after the listed ones, by folder key.
  for (const folder of [...ledger.groups.keys()].filter((k) => !listed.has(k)).sort(compareKeys)) {
    const group = ledger.groups.get(folder)!;
    if (isKnown(group)) deleteGroup(folder, group);
  }
  return { deletes, renames, work };
}

interface MembershipCalls {
  /** removes, and mixed updates */
  membership: PlannedCall[];
  creates: PlannedCall[];
  adds: PlannedCall[];
  /** adds held back for want of a slot or room */
  waiting: number;
}

/** Rule 5/6: assigns slots in priority order (all removals are already counted) and batches. */
function* membershipCalls(
  work: readonly FolderWork[],
  ledger: Ledger,
  limits: ProviderLimits,
  occupancy: Occupancy,
): Steps<MembershipCalls> {
  const calls: MembershipCalls = { membership: [], creates: [], adds: [], waiting: 0 };
  occupancy.startAdding();
  for (const w of work) {
    yield;
    // Likewise for group size: while blocked removals keep members in a group, adds past
    // conversationsPerGroup would be refused, so they wait too.
    const kept = w.group === undefined ? 0 : membersOf(ledger, w.spec.key).size - w.toRemove.length;
    let room = limits.conversationsPerGroup - kept;
    const ids = w.toAdd.filter((c) => {
      if (room <= 0 || !occupancy.admit(c)) return false;
      room -= 1;
      return true;
    });
    calls.waiting += w.toAdd.length - ids.length;
    batchFolder(w, ids, limits, calls);
  }
  return calls;
}

/** One folder's create, removes and adds (or mixed updates), in batches of idsPerCall. */
function batchFolder(w: FolderWork, ids: ConversationKey[], limits: ProviderLimits, calls: MembershipCalls) {
  const { spec, group, toRemove } = w;
  const folder = spec.key;
  const size = limits.idsPerCall;
  if (group === undefined) {
    // An app folder is not created empty: when every add is held back or blocked, the create
    // waits for a later plan instead of leaving an empty group behind.
    if (ids.length === 0 && !spec.createEagerly) return;
    const [first = [], ...rest] = chunk(ids, size);
    calls.creates.push({ kind: 'create', folder, name: spec.groupName, ids: first });
    // The new group's id is only known once the create succeeds: `groupId: ''` tells the
    // executor to use the id returned by this folder's create (applyCalls does the same).
    for (const part of rest) calls.adds.push({ kind: 'add', folder, groupId: '', ids: part });
  } else if (limits.mixedMembershipUpdate) {
    // Removes first, so a group at its size cap makes room before it grows.
    const ops = [...toRemove.map((id) => ({ id, add: false })), ...ids.map((id) => ({ id, add: true }))];
    for (const part of chunk(ops, size)) {
      calls.membership.push({
        kind: 'update',
        folder,
        groupId: group.groupId,
        add: part.filter((o) => o.add).map((o) => o.id),
        remove: part.filter((o) => !o.add).map((o) => o.id),
      });
    }
  } else {
    for (const part of chunk(toRemove, size)) {
      calls.membership.push({ kind: 'remove', folder, groupId: group.groupId, ids: part });
    }
    for (const part of chunk(ids, size))
      calls.adds.push({ kind: 'add', folder, groupId: group.groupId, ids: part });
  }
}
