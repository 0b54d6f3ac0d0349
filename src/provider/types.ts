import type { ConversationKey, FolderKey, ProviderLimits } from '../plan/types.js';
import type { ErrorKind } from './errors.js';

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
  /**
   * A folder name shortened to what the provider accepts, deterministically; `suffix` (a
   * disambiguator such as " (2)", for providers whose names must be unique) is kept whole.
   */
  groupName(folderName: string, suffix?: string): string;
  /**
   * Every group of the account; managed ones carry `folder`. `expected` maps the group names the
   * engine expects to their folders, for providers that cannot mark a group and tell managed
   * groups by name (Tencent); marker-based providers ignore it.
   */
  listGroups(account: string, expected?: ReadonlyMap<string, FolderKey>): Promise<RemoteGroup[]>;
  /**
   * Members of the given groups (missing groups map to []). `known` holds the conversation keys
   * the engine knows for the account, for providers whose ids cannot tell every conversation
   * type apart (Tencent: teams and super teams are both groups) to answer in the engine's keys.
   */
  members(
    account: string,
    groupIds: readonly string[],
    known?: ReadonlySet<ConversationKey>,
  ): Promise<Map<string, ConversationKey[]>>;
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
  /**
   * Makes a conversation exist server-side, for providers that refuse to group one that does
   * not (Yunxin 110404); absent where the provider has no such call.
   */
  createConversation?(account: string, conversation: ConversationKey): Promise<void>;
  /** the item code that says "this conversation does not exist" (Yunxin 110404), if any */
  readonly missingConversationCode?: number;
  /**
   * codes a create or rename may be refused with because of the group's name (its length is
   * not documented on Yunxin): `status` says so, pointing at GROUP_NAME_MAX_LENGTH
   */
  readonly nameRefusalCodes: ReadonlySet<number>;
  /** codes that say the app is misconfigured: surfaced loudly (ConfigurationAlarm) */
  readonly configurationCodes: ReadonlySet<number>;
  /** the code of a successful answer (Yunxin 200, Tencent 0) */
  readonly successCode: number;
  close(): Promise<void>;
}

/** The limits an operator may configure (GROUPS_PER_…); unset ones take the provider's default. */
export type ConfigurableLimits = Partial<
  Pick<
    ProviderLimits,
    'groupsPerConversation' | 'groupsPerAccount' | 'conversationsPerGroup' | 'conversationsPerAccount'
  > & {
    /** longest group name the engine sends (Yunxin: characters, Tencent: UTF-8 bytes) */
    groupNameMaxLength: number;
  }
>;
type ProviderDefaults = Required<Omit<ConfigurableLimits, 'conversationsPerAccount' | 'groupNameMaxLength'>> &
  Pick<ConfigurableLimits, 'conversationsPerAccount'>;

/** A provider's documented limits, with what the operator configured taking precedence. */
/** (The name length is the profile's groupName concern, not a planner limit.) */
export function withConfigured(defaults: ProviderDefaults, configured: ConfigurableLimits): ProviderDefaults {
  return {
    groupsPerConversation: configured.groupsPerConversation ?? defaults.groupsPerConversation,
    groupsPerAccount: configured.groupsPerAccount ?? defaults.groupsPerAccount,
    conversationsPerGroup: configured.conversationsPerGroup ?? defaults.conversationsPerGroup,
    conversationsPerAccount: configured.conversationsPerAccount ?? defaults.conversationsPerAccount,
  };
}

/** How people call each provider (logs, the demo, `dev`), by GroupProvider.name and PROVIDER. */
export const PROVIDER_LABELS: Readonly<Record<string, string>> = { yunxin: 'Yunxin', tencent: 'Tencent' };

/** What planning needs of a provider, without a client (status, dry runs, the demo). */
export type ProviderProfile = Pick<GroupProvider, 'limits' | 'groupName'>;
