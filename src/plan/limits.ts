/**
 * Provider limits applied to the rules' membership (planner rule 2), in a fixed order so the
 * same input always yields the same desired membership and overflow records.
 */
import { drain, STEP_EVERY, type Steps } from '../steps.js';
import { compareKeys } from './chunk.js';
import type { ConversationKey, FolderKey, FolderSpec, Overflow, ProviderLimits } from './types.js';

export interface LimitsInput {
  /** priority order */
  folders: readonly FolderSpec[];
  /** folders that already have a ledger group (pending or not) */
  hasGroup: (folder: FolderKey) => boolean;
  /** folders whose group's create is unconfirmed: they hold a slot but get no desired list */
  unresolved: ReadonlySet<FolderKey>;
  foreignGroups: number;
  recency: ReadonlyMap<ConversationKey, number>;
  limits: ProviderLimits;
}

export interface LimitsOutcome {
  /** resolved folders that may have a group, in priority order, with their sorted membership */
  desired: Map<FolderKey, ConversationKey[]>;
  /** folder priority order, then conversation key */
  overflow: Overflow[];
}

/**
 * Sorted (UTF-16 code units, as compareKeys) and without repeats. Members usually arrive so
 * (desiredMembership sorts them): then the list is only checked, not sorted again.
 */
function sortedUnique(list: readonly ConversationKey[]): readonly ConversationKey[] {
  for (let i = 1; i < list.length; i++) {
    if (!(list[i - 1]! < list[i]!)) return [...new Set(list)].sort();
  }
  return list;
}

/** applyLimitsSteps run at once. */
export const applyLimits = (input: LimitsInput): LimitsOutcome => drain(applyLimitsSteps(input));

export function* applyLimitsSteps(input: LimitsInput): Steps<LimitsOutcome> {
  const { folders } = input;
  const overflowByFolder: Overflow[][] = folders.map(() => []);
  const allowed = groupsPerAccount(input, overflowByFolder);
  // Per allowed folder in priority order: b. groupsPerConversation, c. conversationsPerGroup
  // (the newest conversations win), d. conversationsPerAccount (conversations already grouped
  // by an earlier folder stay; new ones are taken newest first). Only what a folder finally
  // keeps takes a slot from the folders after it.
  const taken = new Map<ConversationKey, number>();
  const desired = new Map<FolderKey, ConversationKey[]>();
  for (const i of allowed) {
    yield;
    const f = folders[i]!;
    const { keep, dropped } = yield* folderMembers(f, taken, input);
    for (const c of keep) taken.set(c, (taken.get(c) ?? 0) + 1);
    desired.set(f.key, keep);
    overflowByFolder[i] = dropped;
  }
  // A loop, not .flat(): flat is several times slower on tens of thousands of records.
  const overflow: Overflow[] = [];
  for (const list of overflowByFolder) for (const o of list) overflow.push(o);
  return { desired, overflow };
}

/**
 * a. groupsPerAccount: the indexes of the folders allowed a group; the others' overflow is
 * recorded. An unresolved folder may already own a group we cannot delete, so it always wants
 * one; it holds its slot at its normal priority position.
 */
function groupsPerAccount(input: LimitsInput, overflowByFolder: Overflow[][]): number[] {
  const capacity = Math.max(0, input.limits.groupsPerAccount - input.foreignGroups);
  let used = 0;
  const allowed: number[] = [];
  input.folders.forEach((f, i) => {
    const pending = input.unresolved.has(f.key);
    const wants =
      pending || f.createEagerly || f.members.length > 0 || (input.hasGroup(f.key) && !f.deleteWhenEmpty);
    if (!wants) return;
    if (used < capacity) {
      used += 1;
      if (!pending) allowed.push(i);
    } else {
      overflowByFolder[i]?.push({ folder: f.key, limit: 'groupsPerAccount' });
    }
  });
  return allowed;
}

interface FolderMembers {
  /** sorted */
  keep: ConversationKey[];
  /** in key order */
  dropped: Overflow[];
}

/** b, c and d for one folder, given the conversations earlier folders took (and how often). */
function* folderMembers(
  f: FolderSpec,
  taken: Map<ConversationKey, number>,
  input: LimitsInput,
): Steps<FolderMembers> {
  const { limits } = input;
  const members = sortedUnique(f.members);
  yield;
  const keep: ConversationKey[] = [];
  const dropped: Overflow[] = [];
  for (const [n, c] of members.entries()) {
    if ((n + 1) % STEP_EVERY === 0) yield;
    if ((taken.get(c) ?? 0) < limits.groupsPerConversation) keep.push(c);
    else dropped.push({ folder: f.key, conversation: c, limit: 'groupsPerConversation' });
  }
  const accountCap = limits.conversationsPerAccount ?? Number.POSITIVE_INFINITY;
  if (keep.length <= limits.conversationsPerGroup && taken.size + keep.length <= accountCap)
    return { keep, dropped };
  return yield* newestWithinCaps(f.key, members, { keep, dropped }, taken, input);
}

/**
 * c and d: of the conversations b kept, the newest up to conversationsPerGroup, and no new one
 * past conversationsPerAccount. A conversation new to the account is marked taken (0) at once.
 */
function* newestWithinCaps(
  folder: FolderKey,
  members: readonly ConversationKey[],
  b: FolderMembers,
  taken: Map<ConversationKey, number>,
  input: LimitsInput,
): Steps<FolderMembers> {
  const { limits } = input;
  const accountCap = limits.conversationsPerAccount ?? Number.POSITIVE_INFINITY;
  const limited = new Map<ConversationKey, Overflow['limit']>(
    b.dropped.map((o) => [o.conversation!, o.limit]),
  );
  yield;
  const ranked = newestFirst(b.keep, input.recency);
  yield;
  const keep: ConversationKey[] = [];
  for (const [n, c] of ranked.entries()) {
    if ((n + 1) % STEP_EVERY === 0) yield;
    if (keep.length >= limits.conversationsPerGroup) limited.set(c, 'conversationsPerGroup');
    else if (!taken.has(c) && taken.size >= accountCap) limited.set(c, 'conversationsPerAccount');
    else {
      keep.push(c);
      if (!taken.has(c)) taken.set(c, 0);
    }
  }
  keep.sort();
  yield;
  // in key order, read off the sorted members (no sort of tens of thousands of records)
  const dropped: Overflow[] = [];
  for (const c of members) {
    const limit = limited.get(c);
    if (limit) dropped.push({ folder, conversation: c, limit });
  }
  return { keep, dropped };
}

/** Newest first, then by key; recency looked up once per conversation, not once per comparison. */
function newestFirst(
  list: readonly ConversationKey[],
  recency: ReadonlyMap<ConversationKey, number>,
): ConversationKey[] {
  const ranked = list.map((c) => ({ c, at: recency.get(c) ?? 0 }));
  ranked.sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : compareKeys(a.c, b.c)));
  return ranked.map((r) => r.c);
}
