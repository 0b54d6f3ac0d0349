import type { ConversationKey, FolderKey, ProviderLimits } from '../plan/types.js';
import type { ErrorKind } from '../yunxin/error-codes.js';

/** A group as the provider lists it; `folder` is set when it carries this service's marker. */
export interface RemoteGroup {
  groupId: string;
  name: string;
  folder?: FolderKey;
}

export interface ItemResult {
  succeeded: ConversationKey[];
  failed: Array<{ conversation: ConversationKey; code: number; msg: string; kind: ErrorKind }>;
}

/** A group as the engine knows it: Yunxin addresses groups by id, Tencent by name. */
export interface GroupRef {
  groupId: string;
  name: string;
}

/** What a provider error means to the engine, beyond its kind. */
export type ErrorCondition = 'group_missing' | 'group_limit' | undefined;

/** Errors every provider throws: kind drives retries; the rest is for operators. */
export interface ProviderError extends Error {
  kind: ErrorKind;
  code: number;
  msg: string;
  endpoint: string;
  traceId: string;
}

export function isProviderError(error: unknown): error is ProviderError {
  return (
    error instanceof Error && typeof (error as Partial<ProviderError>).kind === 'string' && 'code' in error
  );
}

/**
 * The calls the engine makes. Implementations map conversation keys (`type|target`) to their
 * own ids and mark managed groups so listGroups can tell them apart from a user's own groups.
 */
export interface GroupProvider {
  readonly name: string;
  readonly limits: ProviderLimits;
  /** a folder name shortened to what the provider accepts, deterministically */
  groupName(folderName: string): string;
  /**
   * Every group of the account; managed ones carry `folder`. `expected` maps the group names the
   * engine expects to their folders, for providers that cannot mark a group and tell managed
   * groups by name (Tencent); marker-based providers ignore it.
   */
  listGroups(account: string, expected?: ReadonlyMap<string, FolderKey>): Promise<RemoteGroup[]>;
  /** members of the given groups (missing groups map to []) */
  members(account: string, groupIds: readonly string[]): Promise<Map<string, ConversationKey[]>>;
  create(
    account: string,
    folder: FolderKey,
    name: string,
    ids: readonly ConversationKey[],
  ): Promise<ItemResult & { groupId: string }>;
  /** add and/or remove; both non-empty only when limits.mixedMembershipUpdate */
  changeMembers(
    account: string,
    group: GroupRef,
    change: { add?: readonly ConversationKey[]; remove?: readonly ConversationKey[] },
  ): Promise<ItemResult>;
  rename(account: string, group: GroupRef, name: string): Promise<void>;
  delete(account: string, group: GroupRef): Promise<void>;
  condition(error: ProviderError): ErrorCondition;
  close(): Promise<void>;
}
