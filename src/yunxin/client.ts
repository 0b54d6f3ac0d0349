import type { Logger } from 'pino';
import type { z } from 'zod';
import { type CallHooks, type CallReporting, hookedCall } from '../provider/call-hooks.js';
import { Transport, type TransportOptions, type TransportResponse } from '../provider/transport.js';
import { activeTraceId } from '../telemetry/api.js';
import { authHeaders, type Credentials, newTraceId } from './auth.js';
import { conversationId, parseConversationId } from './conversation-id.js';
import { ENDPOINTS, type EndpointName, endpointLabel, fillPath, isIdempotent } from './endpoints.js';
import { SUCCESS_CODE } from './error-codes.js';
import { InvalidRequestError, TRANSPORT_CODES, YunxinError } from './errors.js';
import { parseJsonKeepingBigInts } from './json.js';
import { YUNXIN_LIMITS } from './limits.js';
import {
  type BatchGetResult,
  batchGetDataSchema,
  type Conversation,
  type ConversationGroup,
  type ConversationPage,
  conversationInfoSchema,
  conversationPageSchema,
  envelopeSchema,
  type GroupChangeResult,
  groupChangeDataSchema,
  groupConversationPageSchema,
  groupInfoSchema,
  listGroupsDataSchema,
  MEMBERSHIP_OP,
  noDataSchema,
  type UpdateGroupRequest,
} from './schemas.js';

export interface YunxinClientOptions
  extends Omit<TransportOptions, 'now'>,
    Credentials,
    CallHooks<EndpointName> {
  logger?: Pick<Logger, 'debug' | 'warn'>;
  now?: () => number;
  /**
   * Read a group's members with GET /im/v2/conversation_groups/{id}/conversations (added in
   * server API 10.10.15; its parameters and answer are undocumented) instead of the documented
   * scan of the account's conversations. Off by default; a 404 or 414 falls back to the scan.
   */
  groupConversationsEndpoint?: boolean;
}

export interface MembershipChange {
  op: 'add' | 'remove';
  conversationIds: readonly string[];
}

interface CallRequest {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/** Do we read members with the group.conversations endpoint (opted in, and not refused yet)? */
type Support = 'unknown' | 'yes' | 'no';

/** A client for Yunxin IM server API v2 conversation groups and conversations. */
export class YunxinClient {
  private readonly transport: Transport;
  /** signs a request; a closure, so inspecting or logging the client cannot show the secret */
  private readonly sign: () => Record<string, string>;
  private readonly logger: Pick<Logger, 'debug' | 'warn'> | undefined;
  private readonly now: () => number;
  private readonly hooks: CallReporting<EndpointName>;
  private groupConversationsSupport: Support;

  constructor(opts: YunxinClientOptions) {
    this.groupConversationsSupport = opts.groupConversationsEndpoint ? 'unknown' : 'no';
    const creds: Credentials = { appKey: opts.appKey, appSecret: opts.appSecret };
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.hooks = {
      beforeCall: opts.beforeCall,
      onCall: opts.onCall,
      provider: 'yunxin',
      now: this.now,
      successCode: SUCCESS_CODE,
    };
    this.sign = () => authHeaders(creds, this.now());
    const { appSecret: _secret, beforeCall: _before, onCall: _after, ...transportOpts } = opts;
    this.transport = new Transport({ ...transportOpts, now: this.now }, (init) => new YunxinError(init));
  }

  async createGroup(input: {
    accountId: string;
    name: string;
    serverExtension?: string;
    conversationIds?: readonly string[];
  }): Promise<GroupChangeResult & { group: ConversationGroup }> {
    checkAccount(input.accountId);
    checkName(input.name);
    const ids = checkIds(input.conversationIds ?? [], 'conversationIds');
    const result = await this.call('group.create', groupChangeDataSchema, {
      body: {
        account_id: input.accountId,
        name: input.name,
        ...(input.serverExtension === undefined ? {} : { server_extension: input.serverExtension }),
        ...(ids.length ? { conversation_ids: ids } : {}),
      },
    });
    if (!result.group) {
      throw this.badResponse('group.create', 'no conversation_group in a successful create', 'ambiguous');
    }
    return { ...result, group: result.group };
  }

  /** Rename, change server_extension, and/or add or remove up to 100 conversations (one op per call). */
  async updateGroup(input: {
    accountId: string;
    groupId: string;
    name?: string;
    serverExtension?: string;
    membership?: MembershipChange;
  }): Promise<GroupChangeResult> {
    checkAccount(input.accountId);
    checkGroupId(input.groupId);
    if (input.name !== undefined) checkName(input.name);
    const body: UpdateGroupRequest = { account_id: input.accountId };
    if (input.name !== undefined) body.name = input.name;
    if (input.serverExtension !== undefined) body.server_extension = input.serverExtension;
    if (input.membership) {
      const ids = checkIds(input.membership.conversationIds, 'membership.conversationIds');
      if (ids.length === 0) throw new InvalidRequestError('membership.conversationIds', 'must not be empty');
      body.conversations = { type: MEMBERSHIP_OP[input.membership.op], conversation_ids: ids };
    }
    if (Object.keys(body).length === 1) throw new InvalidRequestError('update', 'nothing to change');
    // Only success_list counts: no failed_list code means "already done" (417 included).
    return this.call('group.update', groupChangeDataSchema, {
      params: { group_id: input.groupId },
      body,
    });
  }

  async deleteGroup(input: { accountId: string; groupId: string }): Promise<void> {
    checkAccount(input.accountId);
    checkGroupId(input.groupId);
    await this.call('group.delete', noDataSchema, {
      params: { group_id: input.groupId },
      query: { account_id: input.accountId },
    });
  }

  async getGroup(input: { accountId: string; groupId: string }): Promise<ConversationGroup> {
    checkAccount(input.accountId);
    checkGroupId(input.groupId);
    return this.call('group.get', groupInfoSchema, {
      params: { group_id: input.groupId },
      query: { account_id: input.accountId },
    });
  }

  async batchGetGroups(input: { accountId: string; groupIds: readonly string[] }): Promise<BatchGetResult> {
    checkAccount(input.accountId);
    if (input.groupIds.length === 0) throw new InvalidRequestError('groupIds', 'must not be empty');
    if (input.groupIds.length > YUNXIN_LIMITS.groupIdsPerBatchGet) {
      throw new InvalidRequestError(
        'groupIds',
        `at most ${YUNXIN_LIMITS.groupIdsPerBatchGet} per call (got ${input.groupIds.length})`,
      );
    }
    for (const id of input.groupIds) checkGroupId(id);
    return this.call('group.batchGet', batchGetDataSchema, {
      query: { account_id: input.accountId, group_ids: input.groupIds.join(',') },
    });
  }

  async listGroups(accountId: string): Promise<ConversationGroup[]> {
    checkAccount(accountId);
    return this.call('group.list', listGroupsDataSchema, { query: { account_id: accountId } });
  }

  /** One page of a group's conversations. Newest endpoint: a server without it answers 404. */
  async listGroupConversations(input: {
    accountId: string;
    groupId: string;
    pageToken?: string;
    limit?: number;
  }): Promise<ConversationPage> {
    checkAccount(input.accountId);
    checkGroupId(input.groupId);
    const page = await this.call('group.conversations', groupConversationPageSchema, {
      params: { group_id: input.groupId },
      query: pageQuery(input.accountId, input.pageToken, input.limit),
    });
    this.groupConversationsSupport = 'yes';
    return page;
  }

  async updateConversation(input: {
    conversationId: string;
    serverExtension: string;
  }): Promise<Conversation> {
    const id = conversationId(input.conversationId, 'conversationId');
    if (input.serverExtension.length > YUNXIN_LIMITS.serverExtensionMaxChars) {
      throw new InvalidRequestError(
        'serverExtension',
        `at most ${YUNXIN_LIMITS.serverExtensionMaxChars} characters (got ${input.serverExtension.length})`,
      );
    }
    return this.call('conversation.update', conversationInfoSchema, {
      params: { conversation_id: id },
      body: { server_extension: input.serverExtension },
    });
  }

  /**
   * Creates a conversation record (Go SDK CreateConversationRequestV2; the Java SDK's group test
   * does this before adding a conversation to a group). What it answers for one that exists is
   * not documented: callers treat any answer as "try the add again".
   */
  async createConversation(id: string): Promise<void> {
    await this.call('conversation.create', noDataSchema, {
      body: { conversation_id: conversationId(id, 'conversationId') },
    });
  }

  async getConversation(id: string): Promise<Conversation> {
    return this.call('conversation.get', conversationInfoSchema, {
      params: { conversation_id: conversationId(id, 'conversationId') },
    });
  }

  async listConversations(input: {
    accountId: string;
    pageToken?: string;
    limit?: number;
  }): Promise<ConversationPage> {
    checkAccount(input.accountId);
    return this.call('conversation.list', conversationPageSchema, {
      query: pageQuery(input.accountId, input.pageToken, input.limit),
    });
  }

  /** Every conversation of an account, following page tokens. */
  async *allConversations(accountId: string): AsyncGenerator<Conversation> {
    yield* paginate((pageToken) => this.listConversations({ accountId, pageToken }));
  }

  /**
   * The members of every group of an account: by default the documented way, one scan of the
   * account's conversations and their `group_ids`; with `groupConversationsEndpoint`, the
   * group-conversations endpoint, whose answer must list its items (a missing list is an error,
   * never "no members"), falling back to the scan when the server refuses it (404, 414).
   */
  async groupMembers(accountId: string, groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const members = new Map<string, string[]>(groupIds.map((id) => [id, []]));
    if (this.groupConversationsSupport !== 'no' && groupIds.length > 0) {
      try {
        for (const groupId of groupIds) {
          const list = members.get(groupId)!;
          for await (const c of paginate((pageToken) =>
            this.listGroupConversations({ accountId, groupId, pageToken }),
          )) {
            list.push(c.conversationId);
          }
        }
        return members;
      } catch (error) {
        if (!(error instanceof YunxinError && isRouteMissing(error))) throw error;
        this.groupConversationsSupport = 'no';
        this.logger?.warn(
          { endpoint: error.endpoint },
          'group conversations endpoint absent; scanning conversations',
        );
        for (const list of members.values()) list.length = 0;
      }
    }
    for await (const c of this.allConversations(accountId)) {
      for (const g of c.groupIds) members.get(g)?.push(c.conversationId);
    }
    return members;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private call<S extends z.ZodType>(
    endpoint: EndpointName,
    schema: S,
    req: CallRequest,
  ): Promise<z.output<S>> {
    return hookedCall(this.hooks, endpoint, () => this.exchange(endpoint, schema, req));
  }

  /** One signed request and its answer, checked against the schema. */
  private async exchange<S extends z.ZodType>(
    endpoint: EndpointName,
    schema: S,
    req: CallRequest,
  ): Promise<z.output<S>> {
    // one id for Yunxin's logs and ours: the trace's while tracing (both 32 hex digits)
    const traceId = activeTraceId() ?? newTraceId();
    const started = this.now();
    const label = endpointLabel(endpoint);
    const res = await this.transport
      .send({
        method: ENDPOINTS[endpoint].method,
        path: fillPath(endpoint, req.params),
        query: req.query,
        body: req.body,
        label,
        endpoint,
        idempotent: isIdempotent(endpoint),
        traceId,
        headers: () => ({ ...this.sign(), 'X-custom-traceid': traceId }),
        beforeRetry: async () => this.hooks.beforeCall?.(endpoint),
        signal: req.signal,
      })
      .catch((error: unknown) => {
        if (error instanceof YunxinError) {
          this.logger?.debug(
            { traceId, endpoint: label, code: error.code, ms: this.now() - started },
            'yunxin call failed',
          );
        }
        throw error;
      });
    return this.readAnswer(endpoint, schema, res, { traceId, label, started });
  }

  /** The answer to one request: HTTP 200, a {code,msg,data} envelope, code 200, then the schema. */
  private readAnswer<S extends z.ZodType>(
    endpoint: EndpointName,
    schema: S,
    res: TransportResponse,
    call: { traceId: string; label: string; started: number },
  ): z.output<S> {
    const { traceId, label, started } = call;
    const ambiguousKind = isIdempotent(endpoint) ? 'transient' : 'ambiguous';
    if (res.status !== 200) {
      throw new YunxinError({
        code: res.status === 404 ? 404 : TRANSPORT_CODES.http,
        msg: `HTTP ${res.status}`,
        endpoint: label,
        traceId,
        httpStatus: res.status,
        baseUrl: res.baseUrl,
        kind: res.status === 404 ? 'permanent' : undefined,
      });
    }
    let envelope: z.output<typeof envelopeSchema>;
    try {
      envelope = envelopeSchema.parse(parseJsonKeepingBigInts(res.text));
    } catch {
      throw this.badResponse(
        endpoint,
        'response is not a {code,msg,data} JSON object',
        ambiguousKind,
        traceId,
      );
    }
    this.logger?.debug(
      { traceId, endpoint: label, code: envelope.code, ms: this.now() - started, baseUrl: res.baseUrl },
      'yunxin call',
    );
    if (envelope.code !== SUCCESS_CODE) {
      throw new YunxinError({
        code: envelope.code,
        msg: envelope.msg,
        endpoint: label,
        traceId,
        baseUrl: res.baseUrl,
      });
    }
    const parsed = schema.safeParse(envelope.data ?? {});
    if (!parsed.success) {
      throw this.badResponse(
        endpoint,
        `unexpected data: ${parsed.error.issues[0]?.message}`,
        ambiguousKind,
        traceId,
      );
    }
    return parsed.data;
  }

  private badResponse(
    endpoint: EndpointName,
    msg: string,
    kind: 'transient' | 'ambiguous',
    traceId = 'none',
  ): YunxinError {
    return new YunxinError({
      code: TRANSPORT_CODES.badResponse,
      msg,
      endpoint: endpointLabel(endpoint),
      traceId,
      kind,
    });
  }
}

/** A 404 for a route (HTTP 404, or code 404 with no resource-specific code) means "no such endpoint". */
/** The server does not have (404) or does not take (414) the undocumented endpoint as we call it. */
export function isRouteMissing(error: YunxinError): boolean {
  return error.code === 404 || error.code === 414;
}

async function* paginate(fetchPage: (token: string | undefined) => Promise<ConversationPage>) {
  let token: string | undefined;
  // Bounded so a server that repeats a token cannot loop us forever.
  for (let page = 0; page < 100_000; page++) {
    const res = await fetchPage(token);
    yield* res.items;
    if (!res.hasMore || !res.nextToken || res.nextToken === token) return;
    token = res.nextToken;
  }
}

function pageQuery(accountId: string, pageToken?: string, limit?: number): Record<string, string> {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > YUNXIN_LIMITS.pageSizeMax)) {
    throw new InvalidRequestError('limit', `must be an integer 1-${YUNXIN_LIMITS.pageSizeMax}`);
  }
  return {
    account_id: accountId,
    ...(pageToken ? { page_token: pageToken } : {}),
    ...(limit ? { limit: String(limit) } : {}),
  };
}

function checkAccount(accountId: string): void {
  if (accountId.length === 0) throw new InvalidRequestError('accountId', 'must not be empty');
  if (accountId.includes('|')) throw new InvalidRequestError('accountId', 'must not contain "|"');
}

function checkName(name: string): void {
  if (name.trim().length === 0) throw new InvalidRequestError('name', 'must not be empty');
}

function checkGroupId(groupId: string): void {
  if (!/^\d+$/.test(groupId))
    throw new InvalidRequestError('groupId', `"${groupId}" is not a numeric group id`);
}

/** Validates every id, drops repeats (keeping order) and enforces the 100-per-call limit. */
function checkIds(ids: readonly string[], field: string): string[] {
  const unique = [...new Set(ids)];
  if (unique.length > YUNXIN_LIMITS.idsPerCall) {
    throw new InvalidRequestError(
      field,
      `at most ${YUNXIN_LIMITS.idsPerCall} ids per call (got ${unique.length})`,
    );
  }
  unique.forEach((id, i) => {
    parseConversationId(id, `${field}[${i}]`);
  });
  return unique;
}
