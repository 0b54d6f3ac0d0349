/**
 * Provider limits applied to the rules' membership (planner rule 2), in a fixed order so the
 * same input always yields the same desired membership and overflow records.
 */
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

export function applyLimits(input: LimitsInput): LimitsOutcome {
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

  // b. groupsPerConversation, then c. conversationsPerGroup, per allowed folder in priority order.
  const taken = new Map<ConversationKey, number>();
  const desired = new Map<FolderKey, ConversationKey[]>();
  for (const i of allowed) {
    const f = folders[i]!;
    const dropped: Overflow[] = [];
    let keep: ConversationKey[] = [];
    // In key order, so `keep` and the dropped records come out sorted without further work.
    for (const c of [...new Set(f.members)].sort(compareKeys)) {
      const n = taken.get(c) ?? 0;
      if (n < limits.groupsPerConversation) {
        taken.set(c, n + 1);
        keep.push(c);
      } else {
        dropped.push({ folder: f.key, conversation: c, limit: 'groupsPerConversation' });
      }
    }
    if (keep.length > limits.conversationsPerGroup) {
      // Recency looked up once per conversation, not once per comparison.
      const ranked = keep.map((c) => ({ c, at: input.recency.get(c) ?? 0 }));
      ranked.sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : compareKeys(a.c, b.c)));
      for (const { c } of ranked.slice(limits.conversationsPerGroup)) {
        dropped.push({ folder: f.key, conversation: c, limit: 'conversationsPerGroup' });
      }
      keep = ranked.slice(0, limits.conversationsPerGroup).map((r) => r.c);
      keep.sort(compareKeys);
      // A conversation is dropped at most once per folder, so the key alone orders the records.
      dropped.sort((a, b) => compareKeys(a.conversation!, b.conversation!));
    }
    desired.set(f.key, keep);
    overflowByFolder[i] = dropped;
  }
  // A loop, not .flat(): flat is several times slower on tens of thousands of records.
  const overflow: Overflow[] = [];
  for (const list of overflowByFolder) for (const o of list) overflow.push(o);
  return { desired, overflow };
}
