import { type ContactItem, type ContactKey, toContactItem } from '../../tencent/contact.js';
import { TENCENT_LIMITS, utf8Bytes } from '../../tencent/limits.js';
import {
  CONTACT_OPT,
  type CreateRequest,
  UPDATE_GROUP_TYPE,
  type UpdateRequest,
} from '../../tencent/schemas.js';
import { fail, ok, type TencentAnswer } from './answers.js';

export interface TencentSimulatorLimits {
  /** 51010 */
  groupsPerAccount: number;
  /** distinct conversations in any group, per user: 51008 for each item past it */
  groupedConversationsPerAccount: number;
  /** 51011 */
  groupNameMaxBytes: number;
  /** 51006, for the whole call */
  contactsPerCall: number;
  contactsPerSearch: number;
  /** conversations per get_contact_group page (not documented: our choice) */
  pageSize: number;
}

export const DEFAULT_TENCENT_SIMULATOR_LIMITS: TencentSimulatorLimits = {
  groupsPerAccount: TENCENT_LIMITS.groupsPerAccount,
  groupedConversationsPerAccount: TENCENT_LIMITS.groupedConversationsPerAccount,
  groupNameMaxBytes: TENCENT_LIMITS.groupNameMaxBytes,
  contactsPerCall: TENCENT_LIMITS.contactsPerCall,
  contactsPerSearch: TENCENT_LIMITS.contactsPerSearch,
  pageSize: 100,
};

/**
 * Behaviour Tencent does not document, chosen here (and in docs/tencent.md, "The Tencent simulator"):
 * - a group name already used by another group of the user (create or rename): 50002;
 * - create with no conversation: 50002 unless `emptyCreate: 'allow'` (the client SDKs say the
 *   list "cannot be empty");
 * - adding a member again or removing a non-member: success (ResultCode 0);
 * - group ids: integers per user, increasing from 1, never reused;
 * - the 1000-conversation cap (51008) refuses each item past it, the rest of the call applies.
 */
export interface TencentStateOptions {
  limits: TencentSimulatorLimits;
  emptyCreate: 'refuse' | 'allow';
  /** when set, any other From_Account answers 50001 (not imported) */
  knownAccounts?: ReadonlySet<string>;
  now: () => number;
}

interface SimGroup {
  id: number;
  name: string;
  /** every name the group has had, oldest first */
  names: string[];
  createTime: number;
}

interface SimUser {
  /** by name, in creation order */
  groups: Map<string, SimGroup>;
  /** conversations in at least one group, with the ids of their groups */
  contacts: Map<ContactKey, { groups: Set<number>; timestamp: number }>;
  nextGroupId: number;
}

const ITEM_RETRY = 50004;
const NAME_TAKEN = 'group name already exists';

/** Per-item fault decision (fault injection: the item fails alone with 50004). */
export type ItemFault = () => boolean;

const key = (item: ContactItem): ContactKey =>
  (item.Type === 1 ? `1|${item.To_Account}` : `2|${item.ToGroupId}`) as ContactKey;

export class TencentSimulatorState {
  private readonly users = new Map<string, SimUser>();

  constructor(readonly opts: TencentStateOptions) {}

  reset(): void {
    this.users.clear();
  }

  createGroup(req: CreateRequest, itemFault: ItemFault): TencentAnswer {
    const refused = this.checkAccount(req.From_Account);
    if (refused) return refused;
    if (req.GroupContactItem.length !== 1) return fail(50002, 'only one conversation group per call');
    const [{ GroupName: name, ContactItem: items }] = req.GroupContactItem as [
      CreateRequest['GroupContactItem'][0],
    ];
    const user = this.user(req.From_Account);
    const bad =
      this.checkName(name) ??
      this.checkCount(items.length) ??
      (items.length === 0 && this.opts.emptyCreate === 'refuse'
        ? fail(50002, 'ContactItem must not be empty')
        : undefined) ??
      (user.groups.has(name) ? fail(50002, NAME_TAKEN) : undefined);
    if (bad) return bad;
    if (user.groups.size >= this.opts.limits.groupsPerAccount) {
      return fail(51010, `conversation group count limit ${this.opts.limits.groupsPerAccount} reached`);
    }
    const group: SimGroup = { id: user.nextGroupId++, name, names: [name], createTime: this.opts.now() };
    user.groups.set(name, group);
    const ResultItem = items.map((item) => ({
      ContactItem: item,
      ...this.add(user, group, key(item), itemFault),
    }));
    return ok({ GroupResultItem: [{ GroupItem: groupItem(group), ResultItem }] });
  }

  updateGroup(req: UpdateRequest, itemFault: ItemFault): TencentAnswer {
    const refused = this.checkAccount(req.From_Account);
    if (refused) return refused;
    const user = this.user(req.From_Account);
    const u = req.UpdateGroup;
    const group = user.groups.get(u.OldGroupName);
    if (!group) return fail(51009, 'conversation group does not exist');
    const result = { UpdateGroupType: u.UpdateGroupType, OldGroupName: u.OldGroupName, GroupId: group.id };
    if (u.UpdateGroupType === UPDATE_GROUP_TYPE.rename) {
      const name = u.NewGroupName;
      if (name === undefined) return fail(50002, 'NewGroupName is required to rename');
      const bad =
        this.checkName(name) ??
        (name !== group.name && user.groups.has(name) ? fail(50002, NAME_TAKEN) : undefined);
      if (bad) return bad;
      user.groups.delete(group.name);
      if (name !== group.name) group.names.push(name);
      group.name = name;
      user.groups.set(name, group);
      return ok({ UpdateType: 1, UpdateGroupResult: { ...result, GroupName: name } });
    }
    const items = u.ContactUpdateItem ?? [];
    const tooMany =
      this.checkCount(items.length) ??
      (items.length === 0 ? fail(51006, 'no conversation to update') : undefined);
    if (tooMany) return tooMany;
    const ContactResultItem = items.map(({ ContactOptType, ContactItem }) => ({
      ContactOptType,
      ContactItem,
      ...(ContactOptType === CONTACT_OPT.add
        ? this.add(user, group, key(ContactItem), itemFault)
        : this.remove(user, group, key(ContactItem), itemFault)),
    }));
    return ok({ UpdateType: 1, UpdateGroupResult: { ...result, GroupName: group.name, ContactResultItem } });
  }

  deleteGroup(account: string, names: readonly string[]): TencentAnswer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    if (names.length !== 1) return fail(50002, 'only one conversation group per call');
    const user = this.user(account);
    const group = user.groups.get(names[0]!);
    if (!group) return fail(51009, 'conversation group does not exist');
    user.groups.delete(group.name);
    for (const [contact, c] of user.contacts) {
      c.groups.delete(group.id);
      if (c.groups.size === 0) user.contacts.delete(contact);
    }
    return ok({ GroupItem: [groupItem(group)] });
  }

  /** get_contact_group: every group on each page, the grouped conversations a page at a time. */
  listPage(account: string, startIndex: number): TencentAnswer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    const user = this.user(account);
    const all = [...user.contacts];
    const end = Math.min(all.length, startIndex + this.opts.limits.pageSize);
    return ok({
      ContactItem: all.slice(startIndex, end).map(([contact, c]) => markedContact(contact, c)),
      GroupItem: [...user.groups.values()].map(groupItem),
      CompleteFlag: end >= all.length ? 1 : 0,
      NextStartIndex: end,
    });
  }

  search(account: string, items: readonly ContactItem[]): TencentAnswer {
    const refused = this.checkAccount(account);
    if (refused) return refused;
    if (items.length > this.opts.limits.contactsPerSearch) {
      return fail(51006, `at most ${this.opts.limits.contactsPerSearch} conversations per search`);
    }
    const user = this.user(account);
    const found = items.map((item) => markedContact(key(item), user.contacts.get(key(item))));
    const ids = new Set(found.flatMap((c) => c.ContactGroupId));
    return ok({
      ContactResultItem: found,
      GroupItem: [...user.groups.values()].filter((g) => ids.has(g.id)).map(groupItem),
    });
  }

  // ---- introspection ----

  accountNames(): string[] {
    return [...this.users].filter(([, u]) => u.groups.size > 0).map(([name]) => name);
  }

  /** Groups of an account with their members (contact keys `1|user`, `2|group`), in creation order. */
  snapshot(
    account: string,
  ): Array<{ groupId: string; name: string; names: string[]; createTime: number; members: string[] }> {
    const user = this.users.get(account);
    if (!user) return [];
    return [...user.groups.values()]
      .sort((a, b) => a.id - b.id)
      .map((g) => ({
        groupId: String(g.id),
        name: g.name,
        names: [...g.names],
        createTime: g.createTime,
        members: [...user.contacts]
          .filter(([, c]) => c.groups.has(g.id))
          .map(([contact]) => contact)
          .sort(),
      }));
  }

  // ---- internals ----

  private user(account: string): SimUser {
    let user = this.users.get(account);
    if (!user) {
      user = { groups: new Map(), contacts: new Map(), nextGroupId: 1 };
      this.users.set(account, user);
    }
    return user;
  }

  private checkAccount(account: string): TencentAnswer | undefined {
    if (this.opts.knownAccounts && !this.opts.knownAccounts.has(account)) {
      return fail(50001, 'From_Account has not been imported');
    }
    return undefined;
  }

  private checkName(name: string): TencentAnswer | undefined {
    if (name.trim() === '') return fail(50002, 'GroupName is empty');
    const max = this.opts.limits.groupNameMaxBytes;
    return utf8Bytes(name) > max ? fail(51011, `group name over ${max} bytes`) : undefined;
  }

  private checkCount(n: number): TencentAnswer | undefined {
    const max = this.opts.limits.contactsPerCall;
    return n > max ? fail(51006, `at most ${max} conversations per request`) : undefined;
  }

  private add(user: SimUser, group: SimGroup, contact: ContactKey, itemFault: ItemFault) {
    if (itemFault()) return itemResult(ITEM_RETRY, 'internal server error, retry');
    const existing = user.contacts.get(contact);
    if (!existing && user.contacts.size >= this.opts.limits.groupedConversationsPerAccount) {
      return itemResult(51008, 'grouped conversations reached the upper limit');
    }
    const c = existing ?? { groups: new Set<number>(), timestamp: 0 };
    c.groups.add(group.id);
    c.timestamp = Math.floor(this.opts.now() / 1000);
    user.contacts.set(contact, c);
    return itemResult(0, '');
  }

  private remove(user: SimUser, group: SimGroup, contact: ContactKey, itemFault: ItemFault) {
    if (itemFault()) return itemResult(ITEM_RETRY, 'internal server error, retry');
    const c = user.contacts.get(contact);
    c?.groups.delete(group.id);
    if (c && c.groups.size === 0) user.contacts.delete(contact);
    return itemResult(0, '');
  }
}

const itemResult = (code: number, info: string) => ({ ResultCode: code, ResultInfo: info });

const groupItem = (g: SimGroup) => ({ GroupName: g.name, GroupId: g.id });

function markedContact(contact: ContactKey, c: { groups: Set<number>; timestamp: number } | undefined) {
  return {
    ...toContactItem(contact),
    StandardMark: '',
    CustomMark: '',
    ContactGroupId: [...(c?.groups ?? [])],
    Timestamp: c?.timestamp ?? 0,
  };
}
