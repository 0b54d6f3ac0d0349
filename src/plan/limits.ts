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
  const { folders, limits, unresolved } = input;
  const overflowByFolder: Overflow[][] = folders.map(() => []);

  // a. groupsPerAccount. An unresolved folder may already own a group we cannot delete, so it
  // always wants one; it holds its slot at its normal priority position.
  const capacity = Math.max(0, limits.groupsPerAccount - input.foreignGroups);
  let used = 0;
  const allowed: number[] = [];
  folders.forEach((f, i) => {
    const pending = unresolved.has(f.key);
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

  // Per allowed folder in priority order: b. groupsPerConversation, c. conversationsPerGroup
  // (the newest conversations win), d. conversationsPerAccount (conversations already grouped
  // by an earlier folder stay; new ones are taken newest first). Only what a folder finally
  // keeps takes a slot from the folders after it.
  const taken = new Map<ConversationKey, number>();
  const accountCap = limits.conversationsPerAccount ?? Number.POSITIVE_INFINITY;
  const desired = new Map<FolderKey, ConversationKey[]>();
  const newestFirst = (list: readonly ConversationKey[]) => {
    // Recency looked up once per conversation, not once per comparison.
    const ranked = list.map((c) => ({ c, at: input.recency.get(c) ?? 0 }));
    ranked.sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : compareKeys(a.c, b.c)));
    return ranked.map((r) => r.c);
  };
  for (const i of allowed) {
    yield;
    const f = folders[i]!;
    let dropped: Overflow[] = [];
    let keep: ConversationKey[] = [];
    const members = sortedUnique(f.members);
    yield;
    for (const [n, c] of members.entries()) {
      if ((n + 1) % STEP_EVERY === 0) yield;
      if ((taken.get(c) ?? 0) < limits.groupsPerConversation) keep.push(c);
      else dropped.push({ folder: f.key, conversation: c, limit: 'groupsPerConversation' });
    }
    if (keep.length > limits.conversationsPerGroup || taken.size + keep.length > accountCap) {
      const limited = new Map<ConversationKey, Overflow['limit']>(
        dropped.map((o) => [o.conversation!, o.limit]),
      );
      yield;
      const ranked = newestFirst(keep);
      yield;
      keep = [];
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
      dropped = [];
      for (const c of members) {
        const limit = limited.get(c);
        if (limit) dropped.push({ folder: f.key, conversation: c, limit });
      }
    }
    for (const c of keep) taken.set(c, (taken.get(c) ?? 0) + 1);
    desired.set(f.key, keep);
    overflowByFolder[i] = dropped;
  }
  // A loop, not .flat(): flat is several times slower on tens of thousands of records.
  const overflow: Overflow[] = [];
  for (const list of overflowByFolder) for (const o of list) overflow.push(o);
  return { desired, overflow };
}
