import type { z } from 'zod';
import { ENDPOINTS, type EndpointName } from '../../yunxin/endpoints.js';
import {
  createGroupRequestSchema,
  updateConversationRequestSchema,
  updateGroupRequestSchema,
} from '../../yunxin/schemas.js';
import { type Answer, fail } from './answers.js';
import type { ItemFault, SimulatorState } from './state.js';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  itemFault: ItemFault;
}

interface Route {
  name: EndpointName;
  method: string;
  pattern: RegExp;
  keys: string[];
}

/** Path params: group ids are int64 digits (so ".../actions/group_ids" never matches), the rest any segment. */
const PARAM_PATTERNS: Record<string, string> = { group_id: '(\\d+)' };

export const ROUTES: Route[] = (Object.keys(ENDPOINTS) as EndpointName[]).map((name) => {
  const { method, path } = ENDPOINTS[name];
  const keys: string[] = [];
  const source = path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, key: string) => {
    keys.push(key);
    return PARAM_PATTERNS[key] ?? '([^/]+)';
  });
  return { name, method, pattern: new RegExp(`^${source}$`), keys };
});

export function matchRoute(
  method: string,
  pathname: string,
): { name: EndpointName; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(m[i + 1]!);
    });
    return { name: route.name, params };
  }
  return undefined;
}

/** How many conversation (or group) ids a call carries: what the 100-per-call limit counts. */
export function idsInCall(name: EndpointName, body: unknown, query: URLSearchParams): number {
  const b = (body ?? {}) as { conversation_ids?: unknown; conversations?: { conversation_ids?: unknown } };
  if (name === 'group.create' && Array.isArray(b.conversation_ids)) return b.conversation_ids.length;
  if (name === 'group.update' && Array.isArray(b.conversations?.conversation_ids)) {
    return b.conversations.conversation_ids.length;
  }
  if (name === 'group.batchGet') return (query.get('group_ids') ?? '').split(',').filter(Boolean).length;
  return 0;
}

export function conversationIdsIn(body: unknown): string[] | undefined {
  const b = (body ?? {}) as { conversation_ids?: unknown; conversations?: { conversation_ids?: unknown } };
  const ids = b.conversation_ids ?? b.conversations?.conversation_ids;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : undefined;
}

export function failedItems(answer: Answer): number {
  const list = (answer.data as { failed_list?: unknown } | undefined)?.failed_list;
  return Array.isArray(list) ? list.length : 0;
}

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> | Answer {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return fail(414, `parameter error: ${issue.path.join('.') || 'body'}: ${issue.message}`);
}

const isAnswer = (v: unknown): v is Answer =>
  typeof v === 'object' && v !== null && 'code' in v && 'msg' in v;

function requireQuery(query: URLSearchParams, key: string): string | Answer {
  const value = query.get(key);
  return value ? value : fail(414, `parameter error: ${key} is required`);
}

function pageLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  return raw === null ? 100 : Number(raw);
}

export function handle(state: SimulatorState, name: EndpointName, ctx: RouteContext): Answer {
  const groupId = () => BigInt(ctx.params.group_id!);
  switch (name) {
    case 'group.create': {
      const req = parseBody(createGroupRequestSchema, ctx.body);
      return isAnswer(req) ? req : state.createGroup(req, ctx.itemFault);
    }
    case 'group.update': {
      const req = parseBody(updateGroupRequestSchema, ctx.body);
      return isAnswer(req) ? req : state.updateGroup(groupId(), req, ctx.itemFault);
    }
    case 'group.delete': {
      const account = requireQuery(ctx.query, 'account_id');
      return isAnswer(account) ? account : state.deleteGroup(account, groupId());
    }
    case 'group.get': {
      const account = requireQuery(ctx.query, 'account_id');
      return isAnswer(account) ? account : state.getGroup(account, groupId());
    }
    case 'group.batchGet': {
      const account = requireQuery(ctx.query, 'account_id');
      const ids = requireQuery(ctx.query, 'group_ids');
      if (isAnswer(account)) return account;
      if (isAnswer(ids)) return ids;
      const list = ids.split(',');
      if (!list.every((id) => /^\d+$/.test(id))) return fail(414, 'parameter error: group_ids');
      return state.batchGetGroups(account, list.map(BigInt));
    }
    case 'group.list': {
      const account = requireQuery(ctx.query, 'account_id');
      return isAnswer(account) ? account : state.listGroups(account);
    }
    case 'group.conversations': {
      const account = requireQuery(ctx.query, 'account_id');
      if (isAnswer(account)) return account;
      return state.groupConversations(
        account,
        groupId(),
        ctx.query.get('page_token') ?? undefined,
        pageLimit(ctx.query),
      );
    }
    case 'conversation.create': {
      const id = (ctx.body as { conversation_id?: unknown } | undefined)?.conversation_id;
      return typeof id === 'string' && id !== ''
        ? state.createConversation(id)
        : fail(414, 'parameter error: conversation_id is required');
    }
    case 'conversation.update': {
      const req = parseBody(updateConversationRequestSchema, ctx.body);
      return isAnswer(req)
        ? req
        : state.updateConversation(ctx.params.conversation_id!, req.server_extension);
    }
    case 'conversation.get':
      return state.getConversation(ctx.params.conversation_id!);
    case 'conversation.list': {
      const account = requireQuery(ctx.query, 'account_id');
      if (isAnswer(account)) return account;
      return state.listConversations(account, ctx.query.get('page_token') ?? undefined, pageLimit(ctx.query));
    }
  }
}
