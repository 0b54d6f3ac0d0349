/**
 * The reconcile planner's contract: a pure function from (desired folders, what the provider
 * confirmed) to the fewest provider calls that make them equal. No I/O, clock or randomness:
 * everything time- or state-dependent arrives in PlanInput.
 */
import type { ConversationKey } from '../rules/evaluate.js';
import type { FolderKey } from '../rules/folder-key.js';

export type { ConversationKey, FolderKey };

/** What a provider allows; Yunxin's defaults are in src/yunxin/limits.ts. */
export interface ProviderLimits {
  /** conversation ids per create/update call (Yunxin 100) */
  idsPerCall: number;
  /** groups one conversation may belong to (Yunxin 5) */
  groupsPerConversation: number;
  /** groups per account, managed and foreign together (Yunxin 50) */
  groupsPerAccount: number;
  /** conversations per group (Yunxin 1000) */
  conversationsPerGroup: number;
  /**
   * distinct conversations in any group of one account (Tencent 1000, 51008); undefined = no cap.
   * Conversations in groups this service does not manage count too, but their members are not
   * read: near the cap the provider's per-item refusal is the backstop.
   */
  conversationsPerAccount?: number;
  /** true when one call may add and remove members (Tencent); false = one op per call (Yunxin) */
  mixedMembershipUpdate: boolean;
  /**
   * Groups are addressed by name, so one account's group names must differ (Tencent): a folder
   * whose name another folder of higher priority already uses gets a numbered suffix.
   */
  uniqueGroupNames?: boolean;
  /** false when a group cannot be created without a conversation (Tencent); default true */
  createsEmptyGroups?: boolean;
}

/** One folder as the rules want it, in priority order (index 0 = highest priority). */
export interface FolderSpec {
  key: FolderKey;
  /** the provider group name (already shortened to the provider's limit by the caller) */
  groupName: string;
  /** conversations the rules put in this folder, before provider limits */
  members: readonly ConversationKey[];
  /** user folders get their group at once, even when empty */
  createEagerly: boolean;
  /** app folders keep an emptied group unless this is set */
  deleteWhenEmpty: boolean;
}

export interface LedgerGroup {
  /** absent while a create's outcome is unknown */
  groupId?: string;
  name: string;
  /** a create was sent and not confirmed: the caller must list and adopt before planning */
  pending: boolean;
  /** when that create was sent (ms): it may still be applied until the answer window passes */
  sentAt?: number;
}

/** What the provider confirmed, per folder (only folders this service manages). */
export interface Ledger {
  groups: ReadonlyMap<FolderKey, LedgerGroup>;
  members: ReadonlyMap<FolderKey, ReadonlySet<ConversationKey>>;
  /** groups of the account this service does not manage (they count toward groupsPerAccount) */
  foreignGroups: number;
}

export interface PlanInput {
  folders: readonly FolderSpec[];
  /** most recent event time per conversation: under conversationsPerGroup the newest win */
  recency: ReadonlyMap<ConversationKey, number>;
  ledger: Ledger;
  /** pairKey(folder, conversation) pairs not to add or remove now (rejected, or retry not yet due) */
  blocked: ReadonlySet<string>;
  limits: ProviderLimits;
}

/** Folder keys never contain "|" (ids forbid it), so the first "|" splits a pair unambiguously. */
export const pairKey = (folder: FolderKey, conversation: ConversationKey): string =>
  `${folder}|${conversation}`;

export type PlannedCall =
  | { kind: 'delete'; folder: FolderKey; groupId: string }
  | { kind: 'remove'; folder: FolderKey; groupId: string; ids: ConversationKey[] }
  | { kind: 'rename'; folder: FolderKey; groupId: string; name: string }
  | { kind: 'create'; folder: FolderKey; name: string; ids: ConversationKey[] }
  | { kind: 'add'; folder: FolderKey; groupId: string; ids: ConversationKey[] }
  /** only when limits.mixedMembershipUpdate */
  | { kind: 'update'; folder: FolderKey; groupId: string; add: ConversationKey[]; remove: ConversationKey[] };

export type LimitName =
  | 'groupsPerAccount'
  | 'groupsPerConversation'
  | 'conversationsPerGroup'
  | 'conversationsPerAccount';

/** A membership (or a whole folder) the rules want but a provider limit forbids. */
export interface Overflow {
  folder: FolderKey;
  /** absent when the whole folder got no group (groupsPerAccount) */
  conversation?: ConversationKey;
  limit: LimitName;
}

export interface Plan {
  /** in execution order: deletes, removes, renames, creates, adds */
  calls: PlannedCall[];
  /** membership after provider limits: what the provider should hold when the plan is done */
  desired: Map<FolderKey, ConversationKey[]>;
  overflow: Overflow[];
  /** folders whose create outcome is unknown: nothing was planned for them */
  unresolved: FolderKey[];
  /** adds held back until a planned removal frees a slot: plan again after executing */
  waiting: number;
}
