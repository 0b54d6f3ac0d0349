import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { type CallHooks, type CallReporting, hookedCall } from '../provider/call-hooks.js';
import { InvalidRequestError, TRANSPORT_CODES } from '../provider/errors.js';
import { Transport, type TransportOptions, type TransportResponse } from '../provider/transport.js';
import { type ContactKey, parseContactKey, toContactItem } from './contact.js';
import { type EndpointName, endpointLabel, endpointPath, isIdempotent } from './endpoints.js';
import { SUCCESS_CODE, USERSIG_EXPIRED } from './error-codes.js';
import { TencentError } from './errors.js';
import { TENCENT_LIMITS, utf8Bytes } from './limits.js';
import {
  CONTACT_OPT,
  type CreateResult,
  createResponseSchema,
  deleteResponseSchema,
  envelopeSchema,
  type GroupItem,
  type ItemResults,
  type ListPage,
  listPageSchema,
  type SearchResult,
  searchResponseSchema,
  UPDATE_GROUP_TYPE,
  type UpdateRequest,
  updateResponseSchema,
} from './schemas.js';
import { UserSigCache } from './usersig.js';

export interface TencentClientOptions extends Omit<TransportOptions, 'now'>, CallHooks<EndpointName> {
  sdkappid: number;
  /** the App admin account: the REST `identifier` */
  identifier: string;
  /** the key UserSigs are signed with */
  secretKey: string;
  logger?: Pick<Logger, 'debug' | 'warn'>;
  now?: () => number;
}

/** Pages of get_contact_group read at most, so a server that never completes cannot loop us. */
const MAX_PAGES = 10_000;

/** A client for Tencent Cloud Chat conversation ("contact") groups. Groups are addressed by name. */
export class TencentClient {
  private readonly transport: Transport;
  private readonly userSig: UserSigCache;
  private readonly sdkappid: number;
  private readonly identifier: string;
  private readonly logger: Pick<Logger, 'debug' | 'warn'> | undefined;
  private readonly now: () => number;
  private readonly hooks: CallReporting<EndpointName>;

  constructor(opts: TencentClientOptions) {
    const { secretKey, sdkappid, identifier, logger, beforeCall, onCall, now, ...transportOpts } = opts;
    this.sdkappid = sdkappid;
    this.identifier = identifier;
    this.logger = logger;
    this.now = now ?? Date.now;
    this.hooks = { beforeCall, onCall, provider: 'tencent', now: this.now, successCode: SUCCESS_CODE };
    this.userSig = new UserSigCache(
      {
        sdkappid,
        identifier,
        validitySeconds: TENCENT_LIMITS.userSigValiditySeconds,
        renewBeforeSeconds: TENCENT_LIMITS.userSigRenewBeforeSeconds,
        now: this.now,
      },
      secretKey,
    );
    this.transport = new Transport({ ...transportOpts, now: this.now }, (init) => new TencentError(init));
  }

  /** One group with up to 100 conversations (create_contact_group takes one group per call). */
  async createGroup(input: {
    account: string;
    name: string;
    contacts?: readonly ContactKey[];
  }): Promise<CreateResult> {
    checkAccount(input.account);
    checkName(input.name, 'name');
    const contacts = checkContacts(input.contacts ?? [], 'contacts', TENCENT_LIMITS.contactsPerCall);
    return this.call('group.create', createResponseSchema, {
      From_Account: input.account,
      GroupContactItem: [{ GroupName: input.name, ContactItem: contacts.map(toContactItem) }],
    });
  }

  /** update_contact_group with UpdateGroupType 1. */
  async renameGroup(input: { account: string; name: string; newName: string }): Promise<void> {
    checkAccount(input.account);
    checkName(input.name, 'name');
    checkName(input.newName, 'newName');
    const body: UpdateRequest = {
      From_Account: input.account,
      UpdateType: 1,
      UpdateGroup: {
        UpdateGroupType: UPDATE_GROUP_TYPE.rename,
        OldGroupName: input.name,
        NewGroupName: input.newName,
      },
    };
    await this.call('group.update', updateResponseSchema, body);
  }

  /** update_contact_group with UpdateGroupType 2: adds and removes, up to 100 together, in one call. */
  async changeMembers(input: {
    account: string;
    name: string;
    add?: readonly ContactKey[];
    remove?: readonly ContactKey[];
  }): Promise<ItemResults> {
    checkAccount(input.account);
    checkName(input.name, 'name');
    const add = checkContacts(input.add ?? [], 'add', TENCENT_LIMITS.contactsPerCall);
    const remove = checkContacts(input.remove ?? [], 'remove', TENCENT_LIMITS.contactsPerCall);
    const total = add.length + remove.length;
    if (total === 0) throw new InvalidRequestError('add/remove', 'nothing to change');
    if (total > TENCENT_LIMITS.contactsPerCall) {
      throw new InvalidRequestError(
        'add/remove',
        `at most ${TENCENT_LIMITS.contactsPerCall} conversations per call (got ${total})`,
      );
    }
    const both = add.filter((c) => remove.includes(c));
    if (both.length > 0) throw new InvalidRequestError('add/remove', `${both[0]} is both added and removed`);
    const body: UpdateRequest = {
      From_Account: input.account,
      UpdateType: 1,
      UpdateGroup: {
        UpdateGroupType: UPDATE_GROUP_TYPE.members,
        OldGroupName: input.name,
        ContactUpdateItem: [
          ...add.map((c) => ({ ContactOptType: CONTACT_OPT.add, ContactItem: toContactItem(c) })),
          ...remove.map((c) => ({ ContactOptType: CONTACT_OPT.remove, ContactItem: toContactItem(c) })),
        ],
      },
    };
    const { succeeded, failed } = await this.call('group.update', updateResponseSchema, body);
    return { succeeded, failed };
  }

  /** del_contact_group, one group per call. */
  async deleteGroup(input: { account: string; name: string }): Promise<GroupItem[]> {
    checkAccount(input.account);
    checkName(input.name, 'name');
    return this.call('group.delete', deleteResponseSchema, {
      From_Account: input.account,
      GroupName: [input.name],
    });
  }

  /** One page of get_contact_group. */
  async listPage(input: { account: string; startIndex?: number }): Promise<ListPage> {
    checkAccount(input.account);
    return this.call('group.list', listPageSchema, {
      From_Account: input.account,
      StartIndex: input.startIndex ?? 0,
    });
  }

  /** Every group of an account and every grouped conversation, following NextStartIndex. */
  async listAll(account: string): Promise<Pick<ListPage, 'groups' | 'contacts'>> {
    const groups = new Map<string, GroupItem>();
    const contacts: ListPage['contacts'] = [];
    let start = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.listPage({ account, startIndex: start });
      for (const g of res.groups) groups.set(g.groupId, g);
      contacts.push(...res.contacts);
      const next = res.nextStartIndex;
      if (res.complete || next === undefined || next <= start) break;
      start = next;
    }
    return { groups: [...groups.values()], contacts };
  }

  /** search_contact_group: the groups of up to 300 given conversations. */
  async search(input: { account: string; contacts: readonly ContactKey[] }): Promise<SearchResult> {
    checkAccount(input.account);
    const contacts = checkContacts(input.contacts, 'contacts', TENCENT_LIMITS.contactsPerSearch);
    if (contacts.length === 0) throw new InvalidRequestError('contacts', 'must not be empty');
    return this.call('group.search', searchResponseSchema, {
      From_Account: input.account,
      ContactItem: contacts.map(toContactItem),
    });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private call<S extends z.ZodType>(endpoint: EndpointName, schema: S, body: object): Promise<z.output<S>> {
    return hookedCall(this.hooks, endpoint, async () => {
      try {
        return await this.exchange(endpoint, schema, body);
      } catch (error) {
        // an expired UserSig (a clock jump, a long pause): sign anew and try once more; the
        // refused request changed nothing, so even a create may be sent again
        if (!(error instanceof TencentError && error.code === USERSIG_EXPIRED)) throw error;
        this.userSig.invalidate();
        await this.hooks.beforeCall?.(endpoint);
        return this.exchange(endpoint, schema, body);
      }
    });
  }

  /** One signed request and its answer, checked against the schema. */
  private async exchange<S extends z.ZodType>(
    endpoint: EndpointName,
    schema: S,
    body: object,
  ): Promise<z.output<S>> {
    // `random` (a uint32 the API requires) doubles as the trace id: it is in the URL Tencent logs.
    const random = randomInt(0, 2 ** 32);
    const traceId = String(random);
    const label = endpointLabel(endpoint);
    const started = this.now();
    const res = await this.transport
      .send({
        method: 'POST',
        path: endpointPath(endpoint),
        query: {
          sdkappid: String(this.sdkappid),
          identifier: this.identifier,
          usersig: this.userSig.get(),
          random: traceId,
          contenttype: 'json',
        },
        body,
        label,
        endpoint,
        idempotent: isIdempotent(endpoint),
        traceId,
        headers: () => ({}),
        beforeRetry: async () => this.hooks.beforeCall?.(endpoint),
      })
      .catch((error: unknown) => {
        // a request that left but got no answer (timeout, connection lost, HTTP error) is a call too
        if (error instanceof TencentError) {
          this.logger?.debug(
            { traceId, endpoint: label, code: error.code, ms: this.now() - started },
            'tencent call failed',
          );
        }
        throw error;
      });
    return this.readAnswer(endpoint, schema, res, { traceId, label, started });
  }

  /** The answer to one request: HTTP 200, a Tencent envelope, ErrorCode 0, then the schema. */
  private readAnswer<S extends z.ZodType>(
    endpoint: EndpointName,
    schema: S,
    res: TransportResponse,
    call: { traceId: string; label: string; started: number },
  ): z.output<S> {
    const { traceId, label, started } = call;
    const unreadable = (msg: string) =>
      new TencentError({
        code: TRANSPORT_CODES.badResponse,
        msg,
        endpoint: label,
        traceId,
        baseUrl: res.baseUrl,
        kind: isIdempotent(endpoint) ? 'transient' : 'ambiguous',
      });
    if (res.status !== 200) {
      throw new TencentError({
        code: TRANSPORT_CODES.http,
        msg: `HTTP ${res.status}`,
        endpoint: label,
        traceId,
        httpStatus: res.status,
        baseUrl: res.baseUrl,
      });
    }
    let json: unknown;
    let envelope: z.output<typeof envelopeSchema>;
    try {
      json = JSON.parse(res.text);
      envelope = envelopeSchema.parse(json);
    } catch {
      throw unreadable('response is not an {ActionStatus,ErrorCode,ErrorInfo} JSON object');
    }
    const requestId = envelope.RequestId ?? undefined;
    this.logger?.debug(
      {
        traceId,
        requestId,
        endpoint: label,
        code: envelope.ErrorCode,
        ms: this.now() - started,
        baseUrl: res.baseUrl,
      },
      'tencent call',
    );
    if (envelope.ErrorCode !== SUCCESS_CODE) {
      throw new TencentError({
        code: envelope.ErrorCode,
        msg: envelope.ErrorInfo ?? '',
        endpoint: label,
        traceId,
        baseUrl: res.baseUrl,
        requestId,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw unreadable(`unexpected answer: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }
}

function checkAccount(account: string): void {
  if (account.length === 0) throw new InvalidRequestError('account', 'must not be empty');
}

function checkName(name: string, field: string): void {
  if (name.trim().length === 0) throw new InvalidRequestError(field, 'must not be empty');
  const bytes = utf8Bytes(name);
  if (bytes > TENCENT_LIMITS.groupNameMaxBytes) {
    throw new InvalidRequestError(
      field,
      `at most ${TENCENT_LIMITS.groupNameMaxBytes} UTF-8 bytes (got ${bytes})`,
    );
  }
}

/** Validates every contact, drops repeats (keeping order) and enforces the per-call limit. */
function checkContacts(contacts: readonly string[], field: string, max: number): ContactKey[] {
  const unique = [...new Set(contacts)];
  if (unique.length > max) {
    throw new InvalidRequestError(field, `at most ${max} conversations per call (got ${unique.length})`);
  }
  unique.forEach((c, i) => {
    parseContactKey(c, `${field}[${i}]`);
  });
  return unique as ContactKey[];
}
