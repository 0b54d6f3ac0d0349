import type { ConversationKey, FolderKey, ProviderLimits } from '../plan/types.js';
import { markerFor, parseMarker } from '../provider/marker.js';
import type {
  ErrorCondition,
  GroupProvider,
  GroupRef,
  ItemResult,
  ProviderError,
} from '../provider/types.js';
import type { YunxinClient } from './client.js';
import { YUNXIN_LIMITS } from './limits.js';
import type { GroupChangeResult } from './schemas.js';

export type ConfigurableLimits = Partial<Omit<ProviderLimits, 'mixedMembershipUpdate' | 'idsPerCall'>>;

/** What the planner needs to know of Yunxin, without a client (status and dry runs use it). */
export function yunxinProfile(limits: ConfigurableLimits = {}): Pick<GroupProvider, 'limits' | 'groupName'> {
  return {
    limits: {
      idsPerCall: YUNXIN_LIMITS.idsPerCall,
      groupsPerConversation: limits.groupsPerConversation ?? YUNXIN_LIMITS.groupsPerConversation,
      groupsPerAccount: limits.groupsPerAccount ?? YUNXIN_LIMITS.groupsPerAccount,
      conversationsPerGroup: limits.conversationsPerGroup ?? YUNXIN_LIMITS.conversationsPerGroup,
      // one `conversations` object per PATCH: add and remove need separate calls (§A5.2)
      mixedMembershipUpdate: false,
    },
    groupName: (folderName) => [...folderName].slice(0, YUNXIN_LIMITS.groupNameMaxChars).join(''),
  };
}

/** Yunxin behind the engine's provider interface: conversation keys ↔ `account|type|target`. */
export class YunxinProvider implements GroupProvider {
  readonly name = 'yunxin';
  readonly limits: ProviderLimits;
  readonly groupName: (folderName: string) => string;

  constructor(
    private readonly client: YunxinClient,
    limits: ConfigurableLimits = {},
  ) {
    const profile = yunxinProfile(limits);
    this.limits = profile.limits;
    this.groupName = profile.groupName;
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

  async rename(account: string, { groupId }: GroupRef, name: string): Promise<void> {
    await this.client.updateGroup({ accountId: account, groupId, name });
  }

  async delete(account: string, { groupId }: GroupRef): Promise<void> {
    await this.client.deleteGroup({ accountId: account, groupId });
  }

  condition(error: ProviderError): ErrorCondition {
    if (error.code === 116404) return 'group_missing';
    if (error.code === 116435) return 'group_limit';
    return undefined;
  }

  close(): Promise<void> {
    return this.client.close();
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
