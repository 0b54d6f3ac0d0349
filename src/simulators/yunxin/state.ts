import { parseConversationId } from '../../yunxin/conversation-id.js';
import { YUNXIN_LIMITS } from '../../yunxin/limits.js';
import type { CreateGroupRequest, UpdateGroupRequest } from '../../yunxin/schemas.js';
import { type Answer, fail, ok } from './answers.js';

export interface SimulatorLimits {
  idsPerCall: number;
  groupsPerConversation: number;
  groupsPerAccount: number;
  conversationsPerGroup: number;
  groupNameMaxChars: number;
  serverExtensionMaxChars: number;
  groupIdsPerBatchGet: number;
  pageSizeMax: number;
}

export const DEFAULT_SIMULATOR_LIMITS: SimulatorLimits = {
  idsPerCall: YUNXIN_LIMITS.idsPerCall,
  groupsPerConversation: YUNXIN_LIMITS.groupsPerConversation,
  groupsPerAccount: YUNXIN_LIMITS.groupsPerAccount,
  conversationsPerGroup: YUNXIN_LIMITS.conversationsPerGroup,
  groupNameMaxChars: YUNXIN_LIMITS.groupNameMaxChars,
  serverExtensionMaxChars: YUNXIN_LIMITS.serverExtensionMaxChars,
  groupIdsPerBatchGet: YUNXIN_LIMITS.groupIdsPerBatchGet,
  pageSizeMax: YUNXIN_LIMITS.pageSizeMax,
};

/**
 * Behaviour Yunxin does not document, chosen here (and in docs/yunxin.md, "Where Yunxin's
 * behaviour is undocumented"):
 * - `repeatMembership: 'succeed'` (default): adding a member again, or removing a non-member,
 *   is a success listed in success_list. `'fail'` answers it in failed_list with code 417, so
 *   tests prove the client and engine are right either way.
 * - `strictConversations: true` (default, as the official Java SDK's group test shows): adding
 *   an id for which no conversation exists fails that item with 110404; it must be created first
 *   (POST /im/v2.1/conversations). `false` creates the record silently, as older simulators did.
 * - POST /im/v2.1/conversations for a conversation that exists succeeds (undocumented).
 * - Ids owned by several accounts in one call: the whole call fails with 110301; an id owned by
 *   an account other than account_id fails alone with 110302.
 */
export interface StateOptions {
  limits: SimulatorLimits;
  repeatMembership: 'succeed' | 'fail';
  strictConversations: boolean;
  /** when set, any other account answers 102404 */
  knownAccounts?: ReadonlySet<string>;
  firstGroupId: bigint;
  /** the two official SDKs disagree on this key (provider-apis.md §A5.5) */
  batchGetFailureKey: 'failed_list' | 'fail_list';
  now: () => number;
}

export interface SimGroup {
  id: bigint;
  account: string;
  name: string;
  /** every name the group has had, oldest first (tests check names never flip back and forth) */
  names: string[];
  serverExtension: string;
  createTime: number;
  updateTime: number;
  members: Set<string>;
}

interface SimConversation {
  id: string;
  owner: string;
  type: 1 | 2 | 3;
  target: string;
  serverExtension: string;
  createTime: number;
  updateTime: number;
  groups: Set<bigint>;
}

const REPEAT = 417;
const ITEM_RETRY = 110449;

/** Per-item decision hook used by fault injection (transient failed_list entries). */
export type ItemFault = (conversationId: string) => boolean;

export class SimulatorState {
  private readonly accounts = new Map<string, Map<bigint, SimGroup>>();
  private readonly conversations = new Map<string, SimConversation>();
  /** Conversations made through POST /im/v2.1/conversations (not by seeding), for tests. */
  readonly createdByApi = new Set<string>();
  private nextGroupId: bigint;

  constructor(readonly opts: StateOptions) {
    this.nextGroupId = opts.firstGroupId;
  }

  /** Forgets every group and conversation; group ids keep increasing, as real ids never repeat. */
  reset(): void {
    this.accounts.clear();
    this.conversations.clear();
    this.createdByApi.clear();
  }

  createGroup(req: CreateGroupRequest, itemFault: ItemFault): Answer {
    const refused =
      this.checkAccount(req.account_id) ?? this.checkGroupFields(req.name, req.server_extension);
    if (refused) return refused;
    const ids = req.conversation_ids ?? [];
    const idsRefused = this.checkIds(ids);
    if (idsRefused) return idsRefused;
    const groups = this.groupsOf(req.account_id);
    if (groups.size >= this.opts.limits.groupsPerAccount) {
      return fail(116435, `conversation group count limit ${this.opts.limits.groupsPerAccount} reached`);
    }
    const now = this.opts.now();
    const group: SimGroup = {
      id: this.nextGroupId++,
      account: req.account_id,
      name: req.name,
      names: [req.name],
      serverExtension: req.server_extension ?? '',
      createTime: now,
      updateTime: now,
      members: new Set(),
    };
    groups.set(group.id, group);
    return ok({ conversation_group: groupInfo(group), ...this.addMembers(group, ids, itemFault) });
  }

  updateGroup(groupId: bigint, req: UpdateGroupRequest, itemFault: ItemFault): Answer {
    const refused =
      this.checkAccount(req.account_id) ??
      (req.name === undefined && req.server_extension === undefined
        ? undefined
        : this.checkGroupFields(req.name ?? 'unchanged', req.server_extension));
    if (refused) return refused;
    const group = this.groupsOf(req.account_id).get(groupId);
    if (!group) return fail(116404, 'conversation group not exist');
    const ids = req.conversations?.conversation_ids ?? [];
    const idsRefused = this.checkIds(ids);
    if (idsRefused) return idsRefused;
    if (req.name !== undefined && req.name !== group.name) {
      group.name = req.name;
      group.names.push(req.name);
    }
    if (req.server_extension !== undefined) group.serverExtension = req.server_extension;
    group.updateTime = this.opts.now();
    const lists = !req.conversations
      ? { success_list: [], failed_list: [] }
      : req.conversations.type === 1
        ? this.addMembers(group, ids, itemFault)
        : this.removeMembers(group, ids, itemFault);
    return ok({ conversation_group: groupInfo(group), ...lists });
  }

  deleteGroup(account: string, groupId: bigint): Answer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    const groups = this.groupsOf(account);
    const group = groups.get(groupId);
    if (!group) return fail(116404, 'conversation group not exist');
    for (const id of group.members) this.conversations.get(id)?.groups.delete(groupId);
    groups.delete(groupId);
    return ok({});
  }

  getGroup(account: string, groupId: bigint): Answer {
    const group = this.accounts.get(account)?.get(groupId);
    return (
      this.checkAccount(account) ??
      (group ? ok(groupInfo(group)) : fail(116404, 'conversation group not exist'))
    );
  }

  batchGetGroups(account: string, groupIds: bigint[]): Answer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    if (groupIds.length > this.opts.limits.groupIdsPerBatchGet) {
      return fail(414, `parameter error: at most ${this.opts.limits.groupIdsPerBatchGet} group_ids`);
    }
    const groups = this.groupsOf(account);
    const found = groupIds.flatMap((id) => {
      const g = groups.get(id);
      return g ? [groupInfo(g)] : [];
    });
    const missing = groupIds.filter((id) => !groups.has(id));
    const failures =
      this.opts.batchGetFailureKey === 'failed_list'
        ? missing.map((id) => ({
            group_id: id,
            error_code: 116404,
            error_msg: 'conversation group not exist',
          }))
        : missing.map((id) => ({ group_id: id, code: 116404, msg: 'conversation group not exist' }));
    return ok({ success_list: found, [this.opts.batchGetFailureKey]: failures });
  }

  listGroups(account: string): Answer {
    return (
      this.checkAccount(account) ??
      ok({ conversation_groups: [...this.groupsOf(account).values()].map(groupInfo) })
    );
  }

  groupConversations(account: string, groupId: bigint, pageToken: string | undefined, limit: number): Answer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    const group = this.groupsOf(account).get(groupId);
    if (!group) return fail(116404, 'conversation group not exist');
    const ids = [...group.members];
    return this.page(
      ids.map((id) => this.conversations.get(id)!),
      pageToken,
      limit,
    );
  }

  updateConversation(id: string, serverExtension: string): Answer {
    const conv = this.conversations.get(id);
    if (!conv) return fail(414, 'parameter error: conversation not exist');
    conv.serverExtension = serverExtension;
    conv.updateTime = this.opts.now();
    return ok(conversationInfo(conv));
  }

  getConversation(id: string): Answer {
    const conv = this.conversations.get(id);
    return conv ? ok(conversationInfo(conv)) : fail(414, 'parameter error: conversation not exist');
  }

  listConversations(account: string, pageToken: string | undefined, limit: number): Answer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    const owned = [...this.conversations.values()].filter((c) => c.owner === account);
    return this.page(owned, pageToken, limit);
  }

  /** POST /im/v2.1/conversations. One that exists already answers success (undocumented: a choice). */
  createConversation(id: string): Answer {
    let parts: ReturnType<typeof parseConversationId>;
    try {
      parts = parseConversationId(id);
    } catch {
      return fail(414, 'parameter error: conversation_id');
    }
    const refused = this.checkAccount(parts.owner);
    if (refused) return refused;
    if (!this.conversations.has(id)) this.createdByApi.add(id);
    return ok(conversationInfo(this.ensureConversation(id)));
  }

  /** Creates conversation records, as exchanging a message would. */
  seedConversations(ids: readonly string[]): void {
    for (const id of ids) this.ensureConversation(id);
  }

  // ---- introspection ----

  accountNames(): string[] {
    return [...this.accounts.keys()];
  }

  /** Groups of an account with their members, in creation order. */
  snapshot(account: string): Array<{
    groupId: string;
    name: string;
    names: string[];
    serverExtension: string;
    createTime: number;
    updateTime: number;
    members: string[];
  }> {
    return [...this.groupsOf(account).values()].map((g) => ({
      groupId: String(g.id),
      name: g.name,
      names: [...g.names],
      serverExtension: g.serverExtension,
      createTime: g.createTime,
      updateTime: g.updateTime,
      members: [...g.members].sort(),
    }));
  }

  // ---- internals ----

  private groupsOf(account: string): Map<bigint, SimGroup> {
    let groups = this.accounts.get(account);
    if (!groups) {
      groups = new Map();
      this.accounts.set(account, groups);
    }
    return groups;
  }

  private checkAccount(account: string): Answer | undefined {
    if (this.opts.knownAccounts && !this.opts.knownAccounts.has(account))
      return fail(102404, 'account not exist');
    return undefined;
  }

  private checkGroupFields(name: string, serverExtension: string | undefined): Answer | undefined {
    const { groupNameMaxChars, serverExtensionMaxChars } = this.opts.limits;
    if (name.trim() === '') return fail(414, 'parameter error: name is empty');
    if ([...name].length > groupNameMaxChars)
      return fail(414, `parameter error: name over ${groupNameMaxChars} chars`);
    if ((serverExtension ?? '').length > serverExtensionMaxChars) {
      return fail(414, `parameter error: server_extension over ${serverExtensionMaxChars} chars`);
    }
    return undefined;
  }

  /** Whole-call checks on the id list: size, format, one owner. */
  private checkIds(ids: readonly string[]): Answer | undefined {
    if (ids.length > this.opts.limits.idsPerCall) {
      return fail(414, `parameter error: at most ${this.opts.limits.idsPerCall} conversation_ids`);
    }
    const owners = new Set<string>();
    for (const id of ids) {
      try {
        owners.add(parseConversationId(id).owner);
      } catch (error) {
        return fail(414, `parameter error: ${(error as Error).message}`);
      }
    }
    if (owners.size > 1) return fail(110301, 'accounts for conversations not unique');
    return undefined;
  }

  private addMembers(group: SimGroup, ids: readonly string[], itemFault: ItemFault) {
    const success_list: string[] = [];
    const failed_list: Array<{ conversation_id: string; error_code: number; error_msg: string }> = [];
    const refuse = (id: string, code: number, msg: string) =>
      failed_list.push({ conversation_id: id, error_code: code, error_msg: msg });
    const { groupsPerConversation, conversationsPerGroup } = this.opts.limits;
    for (const id of new Set(ids)) {
      if (parseConversationId(id).owner !== group.account)
        refuse(id, 110302, 'conversation and account mismatch');
      else if (this.opts.strictConversations && !this.conversations.has(id))
        refuse(id, 110404, 'conversation not exist');
      else if (itemFault(id)) refuse(id, ITEM_RETRY, 'conversation operation need retry');
      else if (group.members.has(id)) {
        if (this.opts.repeatMembership === 'succeed') success_list.push(id);
        else refuse(id, REPEAT, 'conversation already in group');
      } else if ((this.conversations.get(id)?.groups.size ?? 0) >= groupsPerConversation) {
        refuse(id, 110304, 'conversation belonged group limit');
      } else if (group.members.size >= conversationsPerGroup)
        refuse(id, 116437, 'conversations in group limit');
      else {
        group.members.add(id);
        this.ensureConversation(id).groups.add(group.id);
        success_list.push(id);
      }
    }
    return { success_list, failed_list };
  }

  private removeMembers(group: SimGroup, ids: readonly string[], itemFault: ItemFault) {
    const success_list: string[] = [];
    const failed_list: Array<{ conversation_id: string; error_code: number; error_msg: string }> = [];
    for (const id of new Set(ids)) {
      if (parseConversationId(id).owner !== group.account) {
        failed_list.push({
          conversation_id: id,
          error_code: 110302,
          error_msg: 'conversation and account mismatch',
        });
      } else if (itemFault(id)) {
        failed_list.push({
          conversation_id: id,
          error_code: ITEM_RETRY,
          error_msg: 'conversation operation need retry',
        });
      } else if (group.members.delete(id)) {
        this.conversations.get(id)?.groups.delete(group.id);
        success_list.push(id);
      } else if (this.opts.repeatMembership === 'succeed') success_list.push(id);
      else
        failed_list.push({ conversation_id: id, error_code: REPEAT, error_msg: 'conversation not in group' });
    }
    return { success_list, failed_list };
  }

  private ensureConversation(id: string): SimConversation {
    let conv = this.conversations.get(id);
    if (!conv) {
      const parts = parseConversationId(id);
      const now = this.opts.now();
      conv = { id, ...parts, serverExtension: '', createTime: now, updateTime: now, groups: new Set() };
      this.conversations.set(id, conv);
    }
    return conv;
  }

  /** Opaque page tokens are offsets; a bad token is a parameter error, like a real server's. */
  private page(all: SimConversation[], pageToken: string | undefined, limit: number): Answer {
    if (!Number.isInteger(limit) || limit < 1 || limit > this.opts.limits.pageSizeMax) {
      return fail(414, `parameter error: limit must be 1-${this.opts.limits.pageSizeMax}`);
    }
    const offset = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(offset) || offset < 0) return fail(414, 'parameter error: bad page_token');
    const items = all.slice(offset, offset + limit).map(conversationInfo);
    const hasMore = offset + limit < all.length;
    return ok({
      has_more: hasMore,
      next_token: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : '',
      items,
    });
  }
}

function groupInfo(g: SimGroup) {
  return {
    name: g.name,
    group_id: g.id,
    server_extension: g.serverExtension,
    create_time: g.createTime,
    update_time: g.updateTime,
  };
}

function conversationInfo(c: SimConversation) {
  return {
    conversation_id: c.id,
    sender_id: c.owner,
    receiver_id: c.target,
    type: c.type,
    stick_top: false,
    group_ids: [...c.groups],
    server_extension: c.serverExtension,
    unread_count: 0,
    sort_order: 0,
    create_time: c.createTime,
    update_time: c.updateTime,
    last_read_time: 0,
  };
}
