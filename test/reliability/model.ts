/**
 * An independent model of what the service must leave in Yunxin, computed from the accepted
 * events alone — never with src/rules, src/facts or src/plan. It extends
 * test/support/folder-model.ts (which hard-codes the three folders of examples/rules.json and
 * covers conversation events only), whose conversation fact fold it shares, to any rules file
 * and to user folders:
 *
 * - Facts are last-writer-wins registers per (account, conversation, attribute/tag) and per
 *   (account, user folder) ordered by `at`. Workloads give every event of an account its own
 *   `at`, so applying the events in `at` order is the same thing (the model refuses ties).
 * - An id is applied once (a repeat is the same event delivered twice and must be identical).
 * - `conversation.removed` forgets everything older; a later event brings the conversation back
 *   with only what that event says.
 * - App folder (rules-file order): members are the present conversations its rule matches.
 *   User folder (`folder.upserted`, deleted by `folder.deleted`): listed in `include` → member
 *   unless its newest event removed it (even with no fact at all yet); else in `exclude` → not;
 *   else the rule decides (present conversations only).
 * - Rule semantics as README "Folder rules" states them: a missing attribute equals nothing,
 *   comparisons are strict, `eq` never matches a list, `in` on a list matches when any element
 *   is listed, `has` only matches lists, `exists` is presence; tags are the list attribute
 *   `tags` (absent when there are none); pinned/muted/archived are booleans.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldConversationEvent, type ModelConversation } from '../support/folder-model.js';
import { ROOT } from '../support/processes.js';

export type Event = Record<string, unknown>;
type Ref = { type: number; target: string };
type Rule = Record<string, unknown>;

export interface AppFolderDef {
  id: string;
  name: string;
  rule: Rule;
  deleteWhenEmpty?: boolean;
}

export interface ModelFolder {
  /** the marker's folder: `app:<id>` or `user:<id>` */
  key: string;
  name: string;
  /** sorted `type|target` */
  members: string[];
  user: boolean;
  deleteWhenEmpty: boolean;
}

/** account → folder key → folder; app folders always listed (maybe empty), user folders while live */
export type Expected = Map<string, Map<string, ModelFolder>>;

type Conversation = ModelConversation;

interface UserFolderDef {
  id: string;
  name: string;
  rule?: Rule;
  include?: Ref[];
  exclude?: Ref[];
}

/** The app folders of a rules file (JSON), read directly. */
export function readAppFolders(path = 'examples/rules.json'): AppFolderDef[] {
  return (JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { folders: AppFolderDef[] }).folders;
}

const keyOf = (ref: Ref) => `${ref.type}|${ref.target}`;

function attributeOf(c: Conversation, name: string): unknown {
  if (name === 'tags') return c.tags.size > 0 ? [...c.tags].sort() : undefined;
  return c.attributes.get(name);
}

export function ruleMatches(rule: Rule, c: Conversation): boolean {
  if (Array.isArray(rule['all'])) return (rule['all'] as Rule[]).every((r) => ruleMatches(r, c));
  if (Array.isArray(rule['any'])) return (rule['any'] as Rule[]).some((r) => ruleMatches(r, c));
  if ('not' in rule) return !ruleMatches(rule['not'] as Rule, c);
  if (Array.isArray(rule['type'])) return (rule['type'] as number[]).includes(c.type);
  const value = attributeOf(c, rule['attr'] as string);
  if ('exists' in rule) return (value !== undefined) === rule['exists'];
  if (value === undefined) return false;
  if ('eq' in rule) return !Array.isArray(value) && value === rule['eq'];
  if ('in' in rule) {
    const list = rule['in'] as unknown[];
    return Array.isArray(value) ? value.some((v) => list.includes(v)) : list.includes(value);
  }
  if ('has' in rule) return Array.isArray(value) && value.includes(rule['has']);
  throw new Error(`model: unknown rule ${JSON.stringify(rule)}`);
}

/** Deduplicates by id (a repeat must be identical: the service keeps whichever came first). */
export function uniqueEvents(events: readonly Event[]): Event[] {
  const byId = new Map<string, Event>();
  for (const e of events) {
    const id = e['id'] as string;
    const first = byId.get(id);
    if (first === undefined) byId.set(id, e);
    else if (JSON.stringify(first) !== JSON.stringify(e)) {
      throw new Error(`model: event id ${id} was published with two different contents`);
    }
  }
  return [...byId.values()];
}

export function expectedGroups(
  events: readonly Event[],
  appFolders: readonly AppFolderDef[] = readAppFolders(),
): Expected {
  const unique = uniqueEvents(events);
  const ats = new Map<string, string>();
  for (const e of unique) {
    const k = `${e['account']}\u0000${e['at']}`;
    const other = ats.get(k);
    if (other !== undefined) {
      throw new Error(`model: events ${other} and ${e['id']} of one account share at=${e['at']}`);
    }
    ats.set(k, e['id'] as string);
  }
  const ordered = unique.sort((a, b) => (a['at'] as number) - (b['at'] as number));

  const conversations = new Map<string, Map<string, Conversation>>();
  const userFolders = new Map<string, Map<string, UserFolderDef | null>>();
  const accounts = new Set<string>();
  const mapOf = <V>(m: Map<string, Map<string, V>>, account: string) => {
    let inner = m.get(account);
    if (!inner) {
      inner = new Map();
      m.set(account, inner);
    }
    return inner;
  };

  for (const e of ordered) {
    const type = e['type'] as string;
    const account = e['account'] as string;
    accounts.add(account);
    if (type === 'account.resync') continue;
    if (type === 'folder.upserted') {
      const folder = e['folder'] as UserFolderDef;
      mapOf(userFolders, account).set(folder.id, folder);
      continue;
    }
    if (type === 'folder.deleted') {
      mapOf(userFolders, account).set(e['folderId'] as string, null);
      continue;
    }
    foldConversationEvent(mapOf(conversations, account), e);
  }

  const result: Expected = new Map();
  for (const account of accounts) {
    const convs = conversations.get(account) ?? new Map<string, Conversation>();
    const present = [...convs.entries()].filter(([, c]) => c.present);
    const folders = new Map<string, ModelFolder>();
    for (const f of appFolders) {
      folders.set(`app:${f.id}`, {
        key: `app:${f.id}`,
        name: f.name,
        members: present
          .filter(([, c]) => ruleMatches(f.rule, c))
          .map(([k]) => k)
          .sort(),
        user: false,
        deleteWhenEmpty: f.deleteWhenEmpty ?? false,
      });
    }
    for (const [id, f] of userFolders.get(account) ?? []) {
      if (f === null) continue;
      const include = new Set((f.include ?? []).map(keyOf));
      const exclude = new Set((f.exclude ?? []).map(keyOf));
      const members = new Set<string>();
      for (const k of include) {
        const c = convs.get(k);
        // removed (its presence register says gone) → not a member; unknown → member
        if (c === undefined || c.present) members.add(k);
      }
      for (const [k, c] of present) {
        if (include.has(k) || exclude.has(k)) continue;
        if (f.rule !== undefined && ruleMatches(f.rule, c)) members.add(k);
      }
      folders.set(`user:${id}`, {
        key: `user:${id}`,
        name: f.name,
        members: [...members].sort(),
        user: true,
        deleteWhenEmpty: false,
      });
    }
    result.set(account, folders);
  }
  return result;
}
