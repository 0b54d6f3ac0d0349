/**
 * Wire formats of the recentcontact commands (provider-apis.md §B2, seed 001), as zod schemas.
 * Responses tolerate unknown fields and map to camelCase domain types; requests are validated
 * by the simulator with the same schemas the client's request types come from.
 */
import { z } from 'zod';
import { type ContactKey, fromContactItem } from './contact.js';
import { classifyCode } from './error-codes.js';

/** GroupId is an integer on the wire; the domain keeps ids as strings, as for Yunxin. */
const groupIdSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);

export const envelopeSchema = z.object({
  ActionStatus: z.string().optional(),
  ErrorCode: z.number().int(),
  ErrorInfo: z.string().nullish(),
  ErrorDisplay: z.string().nullish(),
  RequestId: z.string().nullish(),
});

const contactItemWire = z.object({
  Type: z.number().int(),
  To_Account: z.string().nullish(),
  ToGroupId: z.string().nullish(),
});

/** A contact as sent: exactly the id its type needs. */
export const contactItemRequestSchema = z.union([
  z.strictObject({ Type: z.literal(1), To_Account: z.string().min(1) }),
  z.strictObject({ Type: z.literal(2), ToGroupId: z.string().min(1) }),
]);

const groupItemSchema = z
  .object({ GroupName: z.string(), GroupId: groupIdSchema })
  .transform((g) => ({ name: g.GroupName, groupId: g.GroupId }));
export type GroupItem = z.output<typeof groupItemSchema>;

/** One per-conversation outcome (ResultItem / ContactResultItem). */
const itemResultSchema = z.object({
  ContactOptType: z.number().int().optional(),
  ContactItem: contactItemWire,
  ResultCode: z.number().int(),
  ResultInfo: z.string().nullish(),
});

export interface ItemFailure {
  contact: ContactKey;
  code: number;
  msg: string;
  kind: ReturnType<typeof classifyCode>;
}
export interface ItemResults {
  succeeded: ContactKey[];
  failed: ItemFailure[];
}

function splitResults(items: ReadonlyArray<z.output<typeof itemResultSchema>>): ItemResults {
  const out: ItemResults = { succeeded: [], failed: [] };
  for (const item of items) {
    const contact = fromContactItem(item.ContactItem);
    if (!contact) continue; // an item we cannot name cannot be booked either way
    if (item.ResultCode === 0) out.succeeded.push(contact);
    else
      out.failed.push({
        contact,
        code: item.ResultCode,
        msg: item.ResultInfo ?? '',
        kind: classifyCode(item.ResultCode),
      });
  }
  return out;
}

export const createResponseSchema = z
  .object({
    GroupResultItem: z
      .array(z.object({ GroupItem: groupItemSchema, ResultItem: z.array(itemResultSchema).nullish() }))
      .min(1),
  })
  .transform((d) => {
    const first = d.GroupResultItem[0]!;
    return { group: first.GroupItem, ...splitResults(first.ResultItem ?? []) };
  });
export type CreateResult = z.output<typeof createResponseSchema>;

export const updateResponseSchema = z
  .object({
    UpdateGroupResult: z
      .object({
        GroupName: z.string().nullish(),
        GroupId: groupIdSchema.nullish(),
        ContactResultItem: z.array(itemResultSchema).nullish(),
      })
      .nullish(),
  })
  .transform((d) => ({
    groupId: d.UpdateGroupResult?.GroupId ?? undefined,
    name: d.UpdateGroupResult?.GroupName ?? undefined,
    ...splitResults(d.UpdateGroupResult?.ContactResultItem ?? []),
  }));
export type UpdateResult = z.output<typeof updateResponseSchema>;

export const deleteResponseSchema = z
  .object({ GroupItem: z.array(groupItemSchema).nullish() })
  .transform((d) => d.GroupItem ?? []);

/** A conversation with its group marks (get_contact_group's ContactItem, search's ContactResultItem). */
const markedContactSchema = contactItemWire
  .extend({
    ContactGroupId: z.array(groupIdSchema).nullish(),
    StandardMark: z.string().nullish(),
    CustomMark: z.string().nullish(),
    Timestamp: z.number().nullish(),
  })
  .transform((c) => ({ contact: fromContactItem(c), groupIds: c.ContactGroupId ?? [] }));

export const listPageSchema = z
  .object({
    ContactItem: z.array(markedContactSchema).nullish(),
    GroupItem: z.array(groupItemSchema).nullish(),
    CompleteFlag: z.number().int().nullish(),
    NextStartIndex: z.number().int().nullish(),
  })
  .transform((p) => ({
    contacts: (p.ContactItem ?? []).flatMap((c) => (c.contact ? [{ ...c, contact: c.contact }] : [])),
    groups: p.GroupItem ?? [],
    complete: (p.CompleteFlag ?? 1) === 1,
    nextStartIndex: p.NextStartIndex ?? undefined,
  }));
export type ListPage = z.output<typeof listPageSchema>;

export const searchResponseSchema = z
  .object({
    ContactResultItem: z.array(markedContactSchema).nullish(),
    GroupItem: z.array(groupItemSchema).nullish(),
  })
  .transform((d) => ({
    contacts: (d.ContactResultItem ?? []).flatMap((c) => (c.contact ? [{ ...c, contact: c.contact }] : [])),
    groups: d.GroupItem ?? [],
  }));
export type SearchResult = z.output<typeof searchResponseSchema>;

// ---- requests (as sent) ----

const account = z.string().min(1);
const groupName = z.string().min(1);

export const createRequestSchema = z.object({
  From_Account: account,
  GroupContactItem: z.array(
    z.object({ GroupName: groupName, ContactItem: z.array(contactItemRequestSchema) }),
  ),
});
export type CreateRequest = z.infer<typeof createRequestSchema>;

/** UpdateGroupType 1 renames, 2 changes conversations; ContactOptType 1 adds, 2 removes. */
export const UPDATE_GROUP_TYPE = { rename: 1, members: 2 } as const;
export const CONTACT_OPT = { add: 1, remove: 2 } as const;

export const updateRequestSchema = z.object({
  From_Account: account,
  UpdateType: z.literal(1),
  UpdateGroup: z.object({
    UpdateGroupType: z.union([z.literal(UPDATE_GROUP_TYPE.rename), z.literal(UPDATE_GROUP_TYPE.members)]),
    OldGroupName: groupName,
    NewGroupName: groupName.optional(),
    ContactUpdateItem: z
      .array(
        z.object({
          ContactOptType: z.union([z.literal(CONTACT_OPT.add), z.literal(CONTACT_OPT.remove)]),
          ContactItem: contactItemRequestSchema,
        }),
      )
      .optional(),
  }),
});
export type UpdateRequest = z.infer<typeof updateRequestSchema>;

export const deleteRequestSchema = z.object({ From_Account: account, GroupName: z.array(groupName) });
export const listRequestSchema = z.object({
  From_Account: account,
  StartIndex: z.number().int().nonnegative().default(0),
});
export const searchRequestSchema = z.object({
  From_Account: account,
  ContactItem: z.array(contactItemRequestSchema),
});
