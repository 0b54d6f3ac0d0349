import { drain, STEP_EVERY, type Steps } from '../steps.js';
import { appFolderKey, type FolderKey, userFolderKey } from './folder-key.js';
import type { AppFolder, ConversationRef, ConversationType, Rule, UserFolder } from './schema.js';

export type AttrValue = string | number | boolean | string[];

export interface ConversationView {
  type: ConversationType;
  target: string;
  /** Includes booleans `pinned`/`muted`/`archived` and `tags: string[]` when set. */
  attributes: Readonly<Record<string, AttrValue>>;
}

/** `${type}|${target}`: targets never contain "|", so the key is unambiguous. */
export type ConversationKey = `${ConversationType}|${string}`;

export function conversationKey(conv: { type: ConversationType; target: string }): ConversationKey {
  return `${conv.type}|${conv.target}`;
}

/** What membership needs to know about a folder of either namespace. */
export interface FolderDef {
  key: FolderKey;
  rule?: Rule | undefined;
  include?: readonly ConversationRef[] | undefined;
  exclude?: readonly ConversationRef[] | undefined;
}

export const appFolderDef = (folder: AppFolder): FolderDef => ({
  key: appFolderKey(folder.id),
  rule: folder.rule,
});

export const userFolderDef = (folder: UserFolder): FolderDef => ({
  key: userFolderKey(folder.id),
  rule: folder.rule,
  include: folder.include,
  exclude: folder.exclude,
});

/**
 * Own properties only: an attribute named `constructor` or `__proto__` must not find
 * Object.prototype members. A missing attribute equals nothing.
 */
function attribute(conv: ConversationView, name: string): AttrValue | undefined {
  return Object.hasOwn(conv.attributes, name) ? conv.attributes[name] : undefined;
}

/**
 * Whether a conversation satisfies a rule. Comparisons are strict (`"1"` never equals `1`).
 * - `eq`: a scalar attribute equal to the value; never true for an array attribute (use `has`).
 * - `in`: a scalar attribute equal to one of the values; for an array attribute, true when
 *   any element is in the list (so `{"attr":"tags","in":["a","b"]}` means "tagged a or b").
 * - `has`: only for array attributes: the array contains the string. A string attribute equal
 *   to it does not count, so `has` never silently means `eq`.
 * - `exists`: the attribute is present, whatever its value (`false`, `""` and `[]` exist).
 * - `all: []` is true and `any: []` is false (files may not contain them; the schema refuses).
 */
export function matches(rule: Rule, conv: ConversationView): boolean {
  if ('all' in rule) return rule.all.every((r) => matches(r, conv));
  if ('any' in rule) return rule.any.some((r) => matches(r, conv));
  if ('not' in rule) return !matches(rule.not, conv);
  if ('type' in rule) return rule.type.includes(conv.type);
  const value = attribute(conv, rule.attr);
  if ('exists' in rule) return (value !== undefined) === rule.exists;
  if (value === undefined) return false;
  if ('eq' in rule) return !Array.isArray(value) && value === rule.eq;
  if ('in' in rule)
    return Array.isArray(value) ? value.some((v) => rule.in.includes(v)) : rule.in.includes(value);
  return Array.isArray(value) && value.includes(rule.has);
}

type MembershipSource = Pick<FolderDef, 'rule' | 'include' | 'exclude'>;

const refersTo = (conv: ConversationView) => (ref: ConversationRef) =>
  ref.type === conv.type && ref.target === conv.target;

/**
 * Telegram's chat-folder order: listed in `include` → member; else listed in `exclude` →
 * not a member; else the rule decides; no rule → not a member.
 * Scans the lists; use `compileMembership` when testing many conversations.
 */
export function isMember(folder: MembershipSource, conv: ConversationView): boolean {
  if (folder.include?.some(refersTo(conv))) return true;
  if (folder.exclude?.some(refersTo(conv))) return false;
  return folder.rule !== undefined && matches(folder.rule, conv);
}

/** `isMember` with the lists turned into sets once, for O(1) lookups per conversation. */
export function compileMembership(
  folder: MembershipSource,
): (conv: ConversationView, key?: ConversationKey) => boolean {
  const include = new Set(folder.include?.map(conversationKey));
  const exclude = new Set(folder.exclude?.map(conversationKey));
  const { rule } = folder;
  return (conv, key = conversationKey(conv)) => {
    if (include.has(key)) return true;
    if (exclude.has(key)) return false;
    return rule !== undefined && matches(rule, conv);
  };
}

/**
 * For each folder (in the given order, which is kept as the map's order), the keys of the
 * conversations that belong in it: deduplicated and sorted by UTF-16 code units, so the
 * result does not depend on input order or locale. Every folder gets an entry, even if empty.
 * Throws on a repeated folder key: that is a caller bug, and merging would hide it.
 */
export function* desiredMembershipSteps(
  folders: readonly FolderDef[],
  conversations: readonly ConversationView[],
): Steps<Map<FolderKey, ConversationKey[]>> {
  const keys = conversations.map(conversationKey);
  const result = new Map<FolderKey, ConversationKey[]>();
  for (const folder of folders) {
    if (result.has(folder.key)) throw new Error(`duplicate folder key ${folder.key}`);
    const isIn = compileMembership(folder);
    const members: ConversationKey[] = [];
    for (let i = 0; i < conversations.length; i++) {
      if ((i + 1) % STEP_EVERY === 0) yield;
      if (isIn(conversations[i]!, keys[i]!)) members.push(keys[i]!);
    }
    yield;
    result.set(folder.key, [...new Set(members)].sort());
    yield;
  }
  return result;
}

/** desiredMembershipSteps run at once. */
export const desiredMembership = (
  folders: readonly FolderDef[],
  conversations: readonly ConversationView[],
) => drain(desiredMembershipSteps(folders, conversations));
