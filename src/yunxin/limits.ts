/**
 * Yunxin's documented limits, one place. Source: ../shared/reference/provider-apis.md §A7.
 * Per-account group count and per-group size depend on the IM package; 50 and 1000 are the
 * last published fixed values, so they are defaults, configurable everywhere they are used.
 */
export const YUNXIN_LIMITS = {
  /** conversation ids in one create/update call */
  idsPerCall: 100,
  /** group ids in one batch-get call (NOT FOUND in the docs: our choice, matching idsPerCall) */
  groupIdsPerBatchGet: 100,
  groupsPerConversation: 5,
  groupsPerAccount: 50,
  conversationsPerGroup: 1000,
  /** NOT FOUND in the docs: the simulator refuses longer names (414), a choice */
  groupNameMaxChars: 64,
  /**
   * The longest name the engine sends by default: NOT FOUND in the docs, so a conservative
   * choice (Tencent documents 32 bytes); GROUP_NAME_MAX_LENGTH changes it.
   */
  defaultGroupNameChars: 32,
  /** NOT FOUND for groups; the conversation server_extension limit (1024) is documented */
  serverExtensionMaxChars: 1024,
  /** page size of the list-conversations endpoints (1-100, default 100) */
  pageSizeMax: 100,
  /** CheckSum validity window */
  curTimeSkewSeconds: 300,
  nonceMaxChars: 128,
  /** default calls per second per endpoint per app (standard package) */
  defaultCallsPerSecond: 100,
} as const;
