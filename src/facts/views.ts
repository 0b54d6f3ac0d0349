import type { AttrValue, ConversationKey, ConversationView } from '../rules/evaluate.js';
import { type FolderKey, parseFolderKey } from '../rules/folder-key.js';
import { type UserFolder, userFolderSchema } from '../rules/schema.js';
import { isNewer, parseRegister, type Register } from './registers.js';

export interface AccountFacts {
  /** present conversations with their attributes (tags as a sorted `tags` array) */
  views: ConversationView[];
  /** newest event time per present conversation */
  recency: Map<ConversationKey, number>;
  /** conversations whose newest event removed them */
  removed: Set<ConversationKey>;
}

interface Building {
  presence?: Register;
  removal?: Register;
  attributes: Map<string, Register>;
  tags: Map<string, Register>;
}

/**
 * Turns an account's facts hash into conversation views. Pure. A removal hides every fact
 * older than it, so a conversation that comes back starts clean. A field that does not decode
 * (written by something other than the fold) is skipped and counted, as if its event never came.
 */
export function buildViews(hash: Readonly<Record<string, string>>): { facts: AccountFacts; corrupt: number } {
  const byConversation = new Map<string, Building>();
  let corrupt = 0;
  for (const [field, value] of Object.entries(hash)) {
    const parts = field.split('|');
    const register = parseRegister(value);
    if (parts.length < 3 || !register || !/^[123]$/.test(parts[0]!) || !parts[1]) {
      corrupt++;
      continue;
    }
    const key = `${parts[0]}|${parts[1]}`;
    let b = byConversation.get(key);
    if (!b) {
      b = { attributes: new Map(), tags: new Map() };
      byConversation.set(key, b);
    }
    const kind = parts[2];
    // names may contain "|" (tags): everything after the kind is the name
    const name = parts.slice(3).join('|');
    if (kind === 'p') b.presence = register;
    else if (kind === 'x') b.removal = register;
    else if (kind === 'a') b.attributes.set(name, register);
    else if (kind === 't') b.tags.set(name, register);
  }

  const views: ConversationView[] = [];
  const recency = new Map<ConversationKey, number>();
  const removed = new Set<ConversationKey>();
  for (const [key, b] of byConversation) {
    if (b.presence?.payload !== '1') {
      if (b.presence) removed.add(key as ConversationKey);
      continue;
    }
    const live = (r: Register) => !b.removal || isNewer(r, b.removal);
    const attributes: Record<string, AttrValue> = {};
    let newest = b.presence.at;
    for (const [name, r] of b.attributes) {
      if (!live(r)) continue;
      const value = attributeValue(r.payload);
      if (value === undefined) {
        corrupt++;
        continue;
      }
      newest = Math.max(newest, r.at);
      if (value !== null) attributes[name] = value;
    }
    const tags = [...b.tags].filter(([, r]) => live(r) && r.payload === '1').map(([tag]) => tag);
    for (const [, r] of b.tags) if (live(r)) newest = Math.max(newest, r.at);
    if (tags.length) attributes.tags = tags.sort();
    const sep = key.indexOf('|');
    const type = Number(key.slice(0, sep)) as 1 | 2 | 3;
    views.push({ type, target: key.slice(sep + 1), attributes });
    recency.set(key as ConversationKey, newest);
  }
  views.sort((a, b) => a.type - b.type || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  return { facts: { views, recency, removed }, corrupt };
}

/** An attribute register's JSON payload: a scalar, null (unset), or undefined when it is not one. */
function attributeValue(payload: string): AttrValue | null | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    return value === null || ['string', 'number', 'boolean'].includes(typeof value)
      ? (value as AttrValue | null)
      : undefined;
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
