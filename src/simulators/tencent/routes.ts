import type { z } from 'zod';
import type { EndpointName } from '../../tencent/endpoints.js';
import {
  createRequestSchema,
  deleteRequestSchema,
  listRequestSchema,
  searchRequestSchema,
  updateRequestSchema,
} from '../../tencent/schemas.js';
import { fail, type TencentAnswer } from './answers.js';
import type { ItemFault, TencentSimulatorState } from './state.js';

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> | TencentAnswer {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return fail(50002, `illegal request parameters: ${issue.path.join('.') || 'body'}: ${issue.message}`);
}

const isAnswer = (v: unknown): v is TencentAnswer =>
  typeof v === 'object' && v !== null && 'code' in v && 'info' in v && 'data' in v;

export function handle(
  state: TencentSimulatorState,
  name: EndpointName,
  body: unknown,
  itemFault: ItemFault,
): TencentAnswer {
  switch (name) {
    case 'group.create': {
      const req = parseBody(createRequestSchema, body);
      return isAnswer(req) ? req : state.createGroup(req, itemFault);
    }
    case 'group.update': {
      const req = parseBody(updateRequestSchema, body);
      return isAnswer(req) ? req : state.updateGroup(req, itemFault);
    }
    case 'group.delete': {
      const req = parseBody(deleteRequestSchema, body);
      return isAnswer(req) ? req : state.deleteGroup(req.From_Account, req.GroupName);
    }
    case 'group.list': {
      const req = parseBody(listRequestSchema, body);
      return isAnswer(req) ? req : state.listPage(req.From_Account, req.StartIndex);
    }
    case 'group.search': {
      const req = parseBody(searchRequestSchema, body);
      return isAnswer(req) ? req : state.search(req.From_Account, req.ContactItem);
    }
  }
}

/** The contact keys a request carries (create, update and search), for the call log. */
export function contactsIn(body: unknown): string[] | undefined {
  const b = (body ?? {}) as {
    GroupContactItem?: Array<{ ContactItem?: unknown }>;
    UpdateGroup?: { ContactUpdateItem?: Array<{ ContactItem?: unknown }> };
    ContactItem?: unknown;
  };
  const items = [
    ...(Array.isArray(b.GroupContactItem) ? b.GroupContactItem.flatMap((g) => listOf(g?.ContactItem)) : []),
    ...listOf(b.UpdateGroup?.ContactUpdateItem).map((u) => (u as { ContactItem?: unknown })?.ContactItem),
    ...listOf(b.ContactItem),
  ];
  if (items.length === 0) return undefined;
  return items.flatMap((item) => {
    const i = item as { Type?: unknown; To_Account?: unknown; ToGroupId?: unknown } | undefined;
    const id = i?.Type === 1 ? i.To_Account : i?.ToGroupId;
    return typeof id === 'string' ? [`${i?.Type}|${id}`] : [];
  });
}

const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Items the answer refused one by one (ResultCode ≠ 0). */
export function failedItems(answer: TencentAnswer): number {
  const d = answer.data as {
    GroupResultItem?: Array<{ ResultItem?: Array<{ ResultCode?: number }> }>;
    UpdateGroupResult?: { ContactResultItem?: Array<{ ResultCode?: number }> };
  };
  const results = [
    ...(d.GroupResultItem ?? []).flatMap((g) => g.ResultItem ?? []),
    ...(d.UpdateGroupResult?.ContactResultItem ?? []),
  ];
  return results.filter((r) => r.ResultCode !== 0).length;
}
