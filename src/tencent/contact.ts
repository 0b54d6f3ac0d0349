import { InvalidRequestError } from '../provider/errors.js';

/**
 * A Tencent conversation ("contact") as one string, `1|<UserID>` (C2C, To_Account) or
 * `2|<GroupId>` (group, ToGroupId): the simulator's state keys and the client's currency, so
 * sets and maps of contacts need no structural comparison.
 */
export type ContactKey = string & { readonly __brand: 'TencentContactKey' };

/** ContactItem on the wire: Type 1 = C2C (To_Account), Type 2 = group (ToGroupId). */
export type ContactItem = { Type: 1; To_Account: string } | { Type: 2; ToGroupId: string };

export function contactKey(type: 1 | 2, id: string, field = 'contact'): ContactKey {
  if (id.length === 0) throw new InvalidRequestError(field, 'must name a user or a group');
  return `${type}|${id}` as ContactKey;
}

/** Validates a key that came from outside. */
export function parseContactKey(key: string, field = 'contact'): { type: 1 | 2; id: string } {
  const type = key.startsWith('1|') ? 1 : key.startsWith('2|') ? 2 : undefined;
  if (type === undefined || key.length < 3) {
    throw new InvalidRequestError(field, `"${key.slice(0, 80)}" is not 1|<UserID> or 2|<GroupId>`);
  }
  return { type, id: key.slice(2) };
}

export function toContactItem(key: ContactKey): ContactItem {
  const { type, id } = parseContactKey(key);
  return type === 1 ? { Type: 1, To_Account: id } : { Type: 2, ToGroupId: id };
}

export function fromContactItem(item: {
  Type: number;
  To_Account?: string | null;
  ToGroupId?: string | null;
}): ContactKey | undefined {
  if (item.Type === 1 && item.To_Account) return contactKey(1, item.To_Account);
  if (item.Type === 2 && item.ToGroupId) return contactKey(2, item.ToGroupId);
  return undefined;
}
