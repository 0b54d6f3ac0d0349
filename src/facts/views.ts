import type { AttrValue, ConversationKey, ConversationView } from '../rules/evaluate.js';
import { type FolderKey, parseFolderKey } from '../rules/folder-key.js';
import { type UserFolder, userFolderSchema } from '../rules/schema.js';
import { drain, STEP_EVERY, type Steps } from '../steps.js';
import { decodeRecord, PACK_FIELD, unpackRecords } from './record.js';
import { isNewer, parseRegister, type Register } from './registers.js';

export interface AccountFacts {
  /** present conversations with their attributes (tags as a sorted `tags` array), in storage order */
  views: ConversationView[];
  /** newest event time per present conversation */
  recency: Map<ConversationKey, number>;
  /** conversations whose newest event removed them */
  removed: Set<ConversationKey>;
}

interface Building {
  presence?: Register;
  removal?: Register;
  attributes?: Map<string, Register>;
  tags?: Map<string, Register>;
}

/** `1|`, `2|` or `3|`: the conversation types a key may start with. */
const isTypePrefix = (field: string) => field.charCodeAt(1) === 124 && '123'.includes(field.charAt(0));

/** Keeps the newer of two registers of one name (a legacy field and a record may both hold one). */
function put(map: Map<string, Register> | undefined, name: string, r: Register): Map<string, Register> {
  const m = map ?? new Map<string, Register>();
  const had = m.get(name);
  if (!had || isNewer(r, had)) m.set(name, r);
  return m;
}

function add(b: Building, kind: string, name: string, r: Register): boolean {
  if (kind === 'p') {
    if (!b.presence || isNewer(r, b.presence)) b.presence = r;
  } else if (kind === 'x') {
    if (!b.removal || isNewer(r, b.removal)) b.removal = r;
  } else if (kind === 'a' && name !== 'tags') b.attributes = put(b.attributes, name, r);
  else if (kind === 't') b.tags = put(b.tags, name, r);
  else return false; // (`tags` is reserved: only tag registers make it)
  return true;
}

/** The registers of an account's facts hash, gathered per conversation, with what did not decode. */
class Gathered {
  readonly byConversation = new Map<string, Building>();
  corrupt = 0;
  /** registers read from legacy fields */
  legacy = 0;

  /** One field of the hash: the pack, a record, or a legacy register. */
  field(field: string, value: string): void {
    // `${type}|${target}` (a record), or `${type}|${target}|${kind}` then `|${name}` (legacy)
    const end = field.indexOf('|', 2);
    if (field === PACK_FIELD) this.pack(value);
    else if (end < 0 && isTypePrefix(field) && field.length > 2) this.record(field, value);
    else this.legacyField(field, end, value);
  }

  private building(key: string): Building {
    let b = this.byConversation.get(key);
    if (!b) {
      b = {};
      this.byConversation.set(key, b);
    }
    return b;
  }

  private pack(value: string): void {
    const pack = unpackRecords(value);
    this.corrupt += pack.corrupt;
    for (const [key, record] of pack.entries) {
      if (isTypePrefix(key) && key.length > 2 && key.indexOf('|', 2) < 0) this.record(key, record);
      else this.corrupt++;
    }
  }

  private record(key: string, value: string): void {
    const record = decodeRecord(value);
    this.corrupt += record.corrupt;
    const b = this.building(key);
    for (const r of record.registers) if (!add(b, r.name.charAt(0), r.name.slice(1), r)) this.corrupt++;
  }

  /** `end`: where the conversation key ends in the field (the `|` before the kind), or -1 */
  private legacyField(field: string, end: number, value: string): void {
    const kind = end < 0 ? '' : field.charAt(end + 1);
    const register = parseRegister(value);
    const named = kind === 'a' || kind === 't';
    const shaped = named ? field.charAt(end + 2) === '|' && field.length > end + 3 : field.length === end + 2;
    if (!isTypePrefix(field) || end <= 2 || !shaped || !register) this.corrupt++;
    else if (add(this.building(field.slice(0, end)), kind, named ? field.slice(end + 3) : '', register))
      this.legacy++;
    else this.corrupt++;
  }
}

/**
 * Turns an account's facts hash into conversation views. Pure. A removal hides every fact
 * older than it, so a conversation that comes back starts clean. A field or register that does
 * not decode (written by something other than the fold) is skipped and counted, as if its event
 * never came. Reads every layout: records in the pack (`*`) or one per conversation (`type|target`, src/facts/record.ts)
 * and the legacy field per register (`type|target|p`, `…|a|name`…), counted as `legacy` so the
 * reconcile can move them into records; where both hold a register the newer wins.
 * Written for 100k conversations (a few hundred thousand fields): no split, no per-field regex.
 */
export function* buildViewsSteps(
  hash: Readonly<Record<string, string>>,
): Steps<{ facts: AccountFacts; corrupt: number; legacy: number }> {
  const gathered = new Gathered();
  let done = 0;
  for (const field in hash) {
    if (++done % STEP_EVERY === 0) yield;
    gathered.field(field, hash[field]!);
  }
  const facts: AccountFacts = { views: [], recency: new Map(), removed: new Set() };
  for (const [key, b] of gathered.byConversation) {
    if (++done % STEP_EVERY === 0) yield;
    if (b.presence?.payload === '1') gathered.corrupt += addView(facts, key, b, b.presence);
    else if (b.presence) facts.removed.add(key as ConversationKey);
  }
  // in storage order: nothing downstream depends on it (memberships are sorted), and sorting
  // 100k views would hold the event loop in one piece
  return { facts, corrupt: gathered.corrupt, legacy: gathered.legacy };
}

/**
 * Adds a present conversation's view (its attributes and tags newer than its removal) and its
 * newest event time; returns how many attribute registers did not decode.
 */
function addView(facts: AccountFacts, key: string, b: Building, presence: Register): number {
  let corrupt = 0;
  const live = (r: Register) => !b.removal || isNewer(r, b.removal);
  const attributes: Record<string, AttrValue> = {};
  let newest = presence.at;
  for (const [name, r] of b.attributes ?? []) {
    if (!live(r)) continue;
    const value = attributeValue(r.payload);
    if (value === undefined) {
      corrupt++;
      continue;
    }
    newest = Math.max(newest, r.at);
    if (value !== null) attributes[name] = value;
  }
  const tags: string[] = [];
  for (const [tag, r] of b.tags ?? []) {
    if (!live(r)) continue;
    newest = Math.max(newest, r.at);
    if (r.payload === '1') tags.push(tag);
  }
  if (tags.length) attributes.tags = tags.sort();
  const sep = key.indexOf('|');
  const type = Number(key.slice(0, sep)) as 1 | 2 | 3;
  facts.views.push({ type, target: key.slice(sep + 1), attributes });
  facts.recency.set(key as ConversationKey, newest);
  return corrupt;
}

/** buildViewsSteps run at once. */
export const buildViews = (hash: Readonly<Record<string, string>>) => drain(buildViewsSteps(hash));

/**
 * An attribute register's JSON payload: a scalar, a list of strings, null (unset), or undefined
 * when it is none of those.
 */
function attributeValue(payload: string): AttrValue | null | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
      return value as AttrValue | null;
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface StoredUserFolder {
  folder: UserFolder;
  createdAt: number;
}

/**
 * Live user folders in creation order (ties by id). Pure. A folder whose record does not decode
 * is reported by key, not dropped: dropping it would delete its group.
 */
export function buildUserFolders(hash: Readonly<Record<string, string>>): {
  folders: StoredUserFolder[];
  corrupt: FolderKey[];
} {
  const out: StoredUserFolder[] = [];
  const corrupt: FolderKey[] = [];
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('f|')) continue;
    const r = parseRegister(value);
    if (r?.payload === '') continue;
    const parsed = r ? userFolderSchema.safeParse(parseJson(r.payload)) : undefined;
    if (!r || !parsed?.success || `f|${parsed.data.id}` !== field) {
      const key = parseFolderKey(`user:${field.slice(2)}`);
      if (key) corrupt.push(`user:${key.id}`);
      continue;
    }
    const created = parseRegister(hash[`c|${parsed.data.id}`] ?? '');
    out.push({ folder: parsed.data, createdAt: created?.at ?? r.at });
  }
  return {
    folders: out.sort((a, b) => a.createdAt - b.createdAt || (a.folder.id < b.folder.id ? -1 : 1)),
    corrupt,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
