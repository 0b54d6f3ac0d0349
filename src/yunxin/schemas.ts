/**
 * Wire formats of the Yunxin endpoints (provider-apis.md §A5, §A6), as zod schemas.
 * Responses tolerate unknown fields (zod strips them) and map to camelCase domain types;
 * requests are validated by the simulator with the same schemas the client's types come from.
 */
import { z } from 'zod';
import { classifyCode } from './error-codes.js';
import { YUNXIN_LIMITS } from './limits.js';

/** int64 on the wire: a number, or the literal as a string when parseJsonKeepingBigInts kept its precision. */
export const groupIdSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
  .transform(String);

/** The data of an answer that carries nothing to read (a delete, a conversation create): not looked at. */
export const noDataSchema = z.unknown().transform((): undefined => undefined);

export const envelopeSchema = z.object({
  code: z.number().int(),
  msg: z.string().optional().default(''),
  data: z.unknown().optional(),
});

export const groupInfoSchema = z
  .object({
    group_id: groupIdSchema,
    name: z.string(),
    server_extension: z.string().nullish(),
    create_time: z.number().nullish(),
    update_time: z.number().nullish(),
    /** declared by the Go SDK only: optional */
    conversation_ids: z.array(z.string()).nullish(),
  })
  .transform((g) => ({
    groupId: g.group_id,
    name: g.name,
    serverExtension: g.server_extension ?? '',
    createTime: g.create_time ?? undefined,
    updateTime: g.update_time ?? undefined,
    conversationIds: g.conversation_ids ?? undefined,
  }));
export type ConversationGroup = z.output<typeof groupInfoSchema>;

const itemFailureSchema = z
  .object({ conversation_id: z.string(), error_code: z.number().int(), error_msg: z.string().nullish() })
  .transform((f) => ({
    conversationId: f.conversation_id,
    code: f.error_code,
    msg: f.error_msg ?? '',
    kind: classifyCode(f.error_code),
  }));
export type ItemFailure = z.output<typeof itemFailureSchema>;

export const groupChangeDataSchema = z
  .object({
    conversation_group: groupInfoSchema.nullish(),
    success_list: z.array(z.string()).nullish(),
    failed_list: z.array(itemFailureSchema).nullish(),
  })
  .transform((d) => ({
    group: d.conversation_group ?? undefined,
    succeeded: d.success_list ?? [],
    failed: d.failed_list ?? [],
  }));
export type GroupChangeResult = z.output<typeof groupChangeDataSchema>;

/** The Go SDK says failed_list{error_code,error_msg}, the Java SDK fail_list{code,msg}: take both. */
const groupFailureSchema = z
  .object({
    group_id: groupIdSchema,
    error_code: z.number().int().optional(),
    code: z.number().int().optional(),
    error_msg: z.string().nullish(),
    msg: z.string().nullish(),
  })
  .transform((f) => {
    const code = f.error_code ?? f.code ?? 0;
    return { groupId: f.group_id, code, msg: f.error_msg ?? f.msg ?? '', kind: classifyCode(code) };
  });

export const batchGetDataSchema = z
  .object({
    success_list: z.array(groupInfoSchema).nullish(),
    failed_list: z.array(groupFailureSchema).nullish(),
    fail_list: z.array(groupFailureSchema).nullish(),
  })
  .transform((d) => ({
    groups: d.success_list ?? [],
    failed: [...(d.failed_list ?? []), ...(d.fail_list ?? [])],
  }));
export type BatchGetResult = z.output<typeof batchGetDataSchema>;

export const listGroupsDataSchema = z
  .object({ conversation_groups: z.array(groupInfoSchema).nullish() })
  .transform((d) => d.conversation_groups ?? []);

export const conversationInfoSchema = z
  .object({
    conversation_id: z.string(),
    sender_id: z.string().nullish(),
    receiver_id: z.string().nullish(),
    type: z.number().int().nullish(),
    stick_top: z.boolean().nullish(),
    group_ids: z.array(groupIdSchema).nullish(),
    server_extension: z.string().nullish(),
    unread_count: z.number().nullish(),
    sort_order: z.number().nullish(),
    create_time: z.number().nullish(),
    update_time: z.number().nullish(),
  })
  .transform((c) => ({
    conversationId: c.conversation_id,
    senderId: c.sender_id ?? undefined,
    receiverId: c.receiver_id ?? undefined,
    type: c.type ?? undefined,
    stickTop: c.stick_top ?? undefined,
    groupIds: c.group_ids ?? [],
    serverExtension: c.server_extension ?? '',
    createTime: c.create_time ?? undefined,
    updateTime: c.update_time ?? undefined,
  }));
export type Conversation = z.output<typeof conversationInfoSchema>;

export const conversationPageSchema = z
  .object({
    has_more: z.boolean().nullish(),
    next_token: z.string().nullish(),
    items: z.array(conversationInfoSchema).nullish(),
  })
  .transform((p) => ({
    hasMore: p.has_more ?? false,
    nextToken: p.next_token ?? undefined,
    items: p.items ?? [],
  }));
export type ConversationPage = z.output<typeof conversationPageSchema>;

/**
 * The undocumented group-conversations answer, read strictly: no `items` list is an error, so
 * an unexpected shape can never read as "the group has no members" (stale members would stay).
 */
export const groupConversationPageSchema = z
  .object({
    has_more: z.boolean().nullish(),
    next_token: z.string().nullish(),
    items: z.array(conversationInfoSchema),
  })
  .transform((p) => ({ hasMore: p.has_more ?? false, nextToken: p.next_token ?? undefined, items: p.items }));

// ---- requests (snake_case, as sent) ----

const conversationIdList = z.array(z.string().min(1)).max(YUNXIN_LIMITS.idsPerCall);

export const createGroupRequestSchema = z.object({
  account_id: z.string().min(1),
  name: z.string().min(1),
  server_extension: z.string().optional(),
  conversation_ids: conversationIdList.optional(),
});
export type CreateGroupRequest = z.infer<typeof createGroupRequestSchema>;

/** conversations.type: 1 = add to the group, 2 = remove from it (one operation per call). */
export const MEMBERSHIP_OP = { add: 1, remove: 2 } as const;

export const updateGroupRequestSchema = z.object({
  account_id: z.string().min(1),
  name: z.string().min(1).optional(),
  server_extension: z.string().optional(),
  conversations: z
    .object({ type: z.union([z.literal(1), z.literal(2)]), conversation_ids: conversationIdList.min(1) })
    .optional(),
});
export type UpdateGroupRequest = z.infer<typeof updateGroupRequestSchema>;

export const updateConversationRequestSchema = z.object({
  server_extension: z.string().max(YUNXIN_LIMITS.serverExtensionMaxChars),
});
