import type { ConversationKey, FolderKey } from '../plan/types.js';
import { markerFor, parseMarker } from '../provider/marker.js';
import { ProviderBase } from '../provider/provider-base.js';
import {
  type ConfigurableLimits,
  type GroupProvider,
  type GroupRef,
  type ItemResult,
  type ProviderProfile,
  withConfigured,
} from '../provider/types.js';
import type { YunxinClient } from './client.js';
import { CONFIGURATION_CODES, SUCCESS_CODE } from './error-codes.js';
import { YUNXIN_LIMITS } from './limits.js';
import type { GroupChangeResult } from './schemas.js';

/** What the planner needs to know of Yunxin, without a client (status and dry runs use it). */
export function yunxinProfile(limits: ConfigurableLimits = {}): ProviderProfile {
  return {
    limits: {
      idsPerCall: YUNXIN_LIMITS.idsPerCall,
      ...withConfigured(YUNXIN_LIMITS, limits),
      // one `conversations` object per PATCH: add and remove need separate calls (§A5.2)
      mixedMembershipUpdate: false,
    },
    groupName: (folderName, suffix = '') =>
      [...folderName]
        .slice(0, (limits.groupNameMaxLength ?? YUNXIN_LIMITS.defaultGroupNameChars) - [...suffix].length)
        .join('') + suffix,
  };
}

/** Yunxin behind the engine's provider interface: conversation keys ↔ `account|type|target`. */
export class YunxinProvider extends ProviderBase implements GroupProvider {
  readonly name = 'yunxin';

  constructor(
    private readonly client: YunxinClient,
    limits: ConfigurableLimits = {},
  ) {
    // 116404: conversation group does not exist; 116435: group count over the limit
    super(yunxinProfile(limits), { groupMissing: 116404, groupLimit: 116435 }, () => client.close());
  }

  async listGroups(account: string) {
    const groups = await this.client.listGroups(account);
    return groups.map((g) => {
      const folder = parseMarker(g.serverExtension);
      return { groupId: g.groupId, name: g.name, ...(folder ? { folder } : {}) };
    });
  }

  async members(account: string, groupIds: readonly string[]) {
    const raw = await this.client.groupMembers(account, groupIds);
    const out = new Map<string, ConversationKey[]>();
    for (const [groupId, ids] of raw) {
      out.set(
        groupId,
        ids.flatMap((id) =>
          id.startsWith(`${account}|`) ? [id.slice(account.length + 1) as ConversationKey] : [],
        ),
      );
    }
    return out;
  }

  async create(account: string, folder: FolderKey, name: string, ids: readonly ConversationKey[]) {
    const res = await this.client.createGroup({
      accountId: account,
      name,
      serverExtension: markerFor(folder),
      conversationIds: ids.map((k) => `${account}|${k}`),
    });
    return { groupId: res.group.groupId, ...this.items(account, res) };
  }

  async changeMembers(
    account: string,
    { groupId }: GroupRef,
    change: { add?: readonly ConversationKey[]; remove?: readonly ConversationKey[] },
  ): Promise<ItemResult> {
    const add = change.add ?? [];
    const remove = change.remove ?? [];
    if (add.length && remove.length) throw new Error('Yunxin cannot add and remove in one call');
    const op = add.length ? 'add' : 'remove';
    const res = await this.client.updateGroup({
      accountId: account,
      groupId,
      membership: { op, conversationIds: (add.length ? add : remove).map((k) => `${account}|${k}`) },
    });
    return this.items(account, res);
  }

  /** 110404 (provider-apis.md §A5.7): the conversation must be created before it is grouped. */
  readonly missingConversationCode = 110404;
  readonly configurationCodes = CONFIGURATION_CODES;
  /** 414: parameter error, what a name over the undocumented limit would get */
  readonly nameRefusalCodes: ReadonlySet<number> = new Set([414]);
  readonly successCode = SUCCESS_CODE;

  async createConversation(account: string, conversation: ConversationKey): Promise<void> {
    await this.client.createConversation(`${account}|${conversation}`);
  }

  async rename(account: string, { groupId }: GroupRef, name: string): Promise<void> {
    await this.client.updateGroup({ accountId: account, groupId, name });
  }

  async delete(account: string, { groupId }: GroupRef): Promise<void> {
    await this.client.deleteGroup({ accountId: account, groupId });
  }

  private items(account: string, res: GroupChangeResult): ItemResult {
    const key = (id: string) => id.slice(account.length + 1) as ConversationKey;
    return {
      succeeded: res.succeeded.map(key),
      failed: res.failed.map((f) => ({
        conversation: key(f.conversationId),
        code: f.code,
        msg: f.msg,
        kind: f.kind,
      })),
    };
  }
}
