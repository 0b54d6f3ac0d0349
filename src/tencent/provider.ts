import type { ConversationKey, FolderKey } from '../plan/types.js';
import { ProviderBase } from '../provider/provider-base.js';
import {
  type ConfigurableLimits,
  type GroupProvider,
  type GroupRef,
  type ItemResult,
  type ProviderProfile,
  type RemoteGroup,
  withConfigured,
} from '../provider/types.js';
import type { TencentClient } from './client.js';
import { type ContactKey, contactKey } from './contact.js';
import { CONFIGURATION_CODES, SUCCESS_CODE } from './error-codes.js';
import { TencentError } from './errors.js';
import { TENCENT_LIMITS, utf8Bytes } from './limits.js';
import type { ItemResults } from './schemas.js';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * A name cut to `maxBytes` of UTF-8 at a character boundary (whole grapheme clusters, so an
 * emoji or an accented letter is never split), trailing spaces dropped. Deterministic: the same
 * folder name always gives the same group name, and `status` shows it.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const bytes = utf8Bytes(segment);
    if (used + bytes > maxBytes) break;
    out += segment;
    used += bytes;
  }
  return out.trimEnd();
}

/** What the planner needs to know of Tencent, without a client (status and dry runs use it). */
export function tencentProfile(limits: ConfigurableLimits = {}): ProviderProfile {
  const max = limits.groupNameMaxLength ?? TENCENT_LIMITS.groupNameMaxBytes;
  return {
    limits: {
      idsPerCall: TENCENT_LIMITS.contactsPerCall,
      ...withConfigured(
        {
          groupsPerConversation: TENCENT_LIMITS.groupsPerConversation,
          groupsPerAccount: TENCENT_LIMITS.groupsPerAccount,
          // no per-group cap is documented: a group cannot hold more than the per-user total
          conversationsPerGroup: TENCENT_LIMITS.groupedConversationsPerAccount,
          conversationsPerAccount: TENCENT_LIMITS.groupedConversationsPerAccount,
        },
        limits,
      ),
      // one update_contact_group carries adds and removes (ContactOptType 1 and 2)
      mixedMembershipUpdate: true,
      // groups are addressed by name
      uniqueGroupNames: true,
      // create_contact_group needs a conversation (the SDKs say the list "cannot be empty")
      createsEmptyGroups: false,
    },
    groupName: (folderName, suffix = '') => truncateUtf8(folderName, max - utf8Bytes(suffix)) + suffix,
  };
}

/**
 * Engine conversation keys ↔ Tencent contacts. Type 1 (p2p) is C2C (`To_Account`); types 2 and
 * 3 (advanced and super team) are both Tencent groups (`ToGroupId`), so `2|x` and `3|x` name
 * one Tencent conversation. Back from Tencent, a group is the engine key the request used, else
 * `3|x` when only that one is known to the engine, else `2|x`.
 */
function toContact(key: ConversationKey): ContactKey {
  const sep = key.indexOf('|');
  return contactKey(key.startsWith('1|') ? 1 : 2, key.slice(sep + 1), 'conversation');
}

function toEngineKey(contact: ContactKey, known?: ReadonlySet<ConversationKey>): ConversationKey {
  if (contact.startsWith('1|')) return contact as string as ConversationKey;
  const team = `2|${contact.slice(2)}` as ConversationKey;
  const superTeam = `3|${contact.slice(2)}` as ConversationKey;
  return known?.has(superTeam) && !known.has(team) ? superTeam : team;
}

/** Tencent behind the engine's provider interface. Groups are addressed by name. */
export class TencentProvider extends ProviderBase implements GroupProvider {
  readonly configurationCodes = CONFIGURATION_CODES;
  /** 51011: name over 32 bytes; 50002: illegal parameters */
  readonly nameRefusalCodes: ReadonlySet<number> = new Set([51011, 50002]);
  readonly successCode = SUCCESS_CODE;
  readonly name = 'tencent';

  constructor(
    private readonly client: TencentClient,
    limits: ConfigurableLimits = {},
  ) {
    // 51009: conversation group does not exist; 51010: more than 20 groups
    super(tencentProfile(limits), { groupMissing: 51009, groupLimit: 51010 }, () => client.close());
  }

  /**
   * Tencent groups carry no extension to mark them, so a group is managed when its name is one
   * the engine expects for a folder: "the marker is the name". A user's own group with exactly a
   * folder's group name is therefore taken as that folder's group.
   */
  async listGroups(account: string, expected?: ReadonlyMap<string, FolderKey>): Promise<RemoteGroup[]> {
    const { groups } = await this.client.listAll(account);
    return groups.map((g) => {
      const folder = expected?.get(g.name);
      return { groupId: g.groupId, name: g.name, ...(folder ? { folder } : {}) };
    });
  }

  async members(account: string, groupIds: readonly string[], known?: ReadonlySet<ConversationKey>) {
    const out = new Map<string, ConversationKey[]>(groupIds.map((id) => [id, []]));
    const { contacts } = await this.client.listAll(account);
    for (const { contact, groupIds: inGroups } of contacts) {
      for (const id of inGroups) out.get(id)?.push(toEngineKey(contact, known));
    }
    return out;
  }

  /** No marker to write: the folder is known by the group's name (see listGroups). */
  async create(account: string, _folder: FolderKey, name: string, ids: readonly ConversationKey[]) {
    const asked = this.requested(ids);
    try {
      const res = await this.client.createGroup({ account, name, contacts: [...asked.keys()] });
      return { groupId: res.group.groupId, ...this.items(res, asked) };
    } catch (error) {
      throw await this.nameTaken(account, name, error);
    }
  }

  async changeMembers(
    account: string,
    { name }: GroupRef,
    change: { add?: readonly ConversationKey[]; remove?: readonly ConversationKey[] },
  ): Promise<ItemResult> {
    const add = this.requested(change.add ?? []);
    const remove = this.requested(change.remove ?? []);
    const res = await this.client.changeMembers({
      account,
      name,
      add: [...add.keys()],
      remove: [...remove.keys()],
    });
    return this.items(res, new Map([...add, ...remove]));
  }

  async rename(account: string, { name }: GroupRef, newName: string): Promise<void> {
    await this.client.renameGroup({ account, name, newName });
  }

  async delete(account: string, { name }: GroupRef): Promise<void> {
    await this.client.deleteGroup({ account, name });
  }

  /** Tencent contacts of the engine keys asked for, each mapped back to the key that asked. */
  private requested(ids: readonly ConversationKey[]): Map<ContactKey, ConversationKey> {
    const out = new Map<ContactKey, ConversationKey>();
    for (const id of ids) if (!out.has(toContact(id))) out.set(toContact(id), id);
    return out;
  }

  private items(res: ItemResults, asked: ReadonlyMap<ContactKey, ConversationKey>): ItemResult {
    const key = (c: ContactKey) => asked.get(c) ?? toEngineKey(c);
    return {
      succeeded: res.succeeded.map(key),
      failed: res.failed.map((f) => ({
        conversation: key(f.contact),
        code: f.code,
        msg: f.msg,
        kind: f.kind,
      })),
    };
  }

  /**
   * A refused create whose name is already taken (a lost answer followed by a retry, or a rename
   * whose answer was lost) must not fail the folder: it becomes `ambiguous`, so the engine lists
   * the groups and adopts the one with that name instead of creating again. What Tencent answers
   * for a duplicate name is not documented; looking is one read, and only after a refusal.
   */
  private async nameTaken(account: string, name: string, error: unknown): Promise<unknown> {
    if (!(error instanceof TencentError) || error.kind !== 'permanent' || this.condition(error)) return error;
    // A failed look is thrown as it is: the refused create was not applied, so repeating it is safe.
    const { groups } = await this.client.listAll(account);
    if (!groups.some((g) => g.name === name)) return error;
    return new TencentError({
      code: error.code,
      msg: `${error.msg} (a group named "${name}" exists: adopting it)`,
      endpoint: error.endpoint,
      traceId: error.traceId,
      baseUrl: error.baseUrl,
      requestId: error.requestId,
      kind: 'ambiguous',
    });
  }
}
