/**
 * Tencent Cloud Chat's documented conversation-group limits, one place.
 * Source: ../shared/reference/provider-apis.md §B2, §B3 and the create page (seed 001).
 */
export const TENCENT_LIMITS = {
  /** conversation groups per user (51010) */
  groupsPerAccount: 20,
  /** distinct conversations in groups (or marked) per user (51008) */
  groupedConversationsPerAccount: 1000,
  /** group names, in UTF-8 bytes (51011; one page says 64 for NewGroupName: the stricter 32 is used) */
  groupNameMaxBytes: 32,
  /** conversations per update call (51006); our choice for create too, where the docs name no cap */
  contactsPerCall: 100,
  /** conversations per search call */
  contactsPerSearch: 300,
  /**
   * No per-conversation limit is documented ("a conversation may join multiple groups"), so a
   * conversation can be in every group of its user: the planner's limit is the group count.
   */
  groupsPerConversation: 20,
  /** documented maximum call frequency of the recentcontact commands */
  defaultCallsPerSecond: 200,
  /** each UserSig is made valid this long… */
  userSigValiditySeconds: 180 * 86_400,
  /** …and replaced when less than this is left */
  userSigRenewBeforeSeconds: 86_400,
} as const;

/** Bytes of a string in UTF-8 (Tencent's name limit counts bytes, not characters). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
