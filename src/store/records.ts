/**
 * The one codec for what a reconcile stores per account: every field name and record shape of
 * the ledger, rejections, retries and status hashes is written and read here, and nowhere else.
 * Reading validates each record: a corrupt one is reported by field, never thrown, so one bad
 * write cannot make an account fail on every retry for ever.
 */
import { z } from 'zod';
import type { FolderWindow, Ranked } from '../plan/incremental.js';
import type { ConversationKey, FolderKey, LedgerGroup } from '../plan/types.js';
import { isFolderKey } from '../rules/folder-key.js';

/** A permanent item refusal; not retried while the conversation's facts and the folder stay as they were. */
export interface Rejection {
  code: number;
  msg: string;
  at: number;
  /** fingerprint of (conversation facts, folder definition) when refused */
  fp: string;
}

/** A transient item failure waiting for its retry time. */
export interface RetryRecord {
  attempts: number;
  notBefore: number;
  code: number;
}

/** The last refusal of a folder's call, as `status` shows it. */
export interface FolderError {
  code: number;
  msg: string;
  endpoint: string;
  traceId: string;
  at: number;
}

/** Why an account's reconcile was given up: it kept failing for a reason no retry fixes. */
export interface ParkedRecord {
  reason: string;
  at: number;
  attempts: number;
}

/** The confirmed state, mutable while a reconcile executes its plan. */
export interface MutableLedger {
  groups: Map<FolderKey, LedgerGroup>;
  members: Map<FolderKey, Set<ConversationKey>>;
  foreignGroups: number;
  /**
   * The deployment epoch under which the provider's groups were last read back (first contact,
   * resync, verification). Another epoch, or none, means this ledger cannot be trusted: Redis
   * lost data since, so the next reconcile adopts from the provider before it creates anything.
   */
  epoch: string | undefined;
  /**
   * Members still stored in fields of their own (before 0.4), by folder: deleted when their
   * folder's field is next written, which then holds them.
   */
  legacyMembers: Map<FolderKey, Set<ConversationKey>>;
}

/** The account's bookkeeping besides the ledger, as status and the next reconcile read it. */
export interface AccountStatusRecord {
  lastSyncAt?: number;
  lastDurationMs?: number;
  lastCalls?: number;
  /** the fleet's rules generation the last reconcile ran under */
  rulesGeneration?: number;
  /** last read-back of the provider's groups (first contact, resync or verification) */
  verifiedAt?: number;
  /** memberships the last reconcile left out for a provider limit (`status` lists them) */
  overflow?: number;
  /** conversations this service created (POST conversation) so that they could be grouped */
  conversationsCreated?: number;
  /** when the current (or a stopped) reconcile's calls began; absent once it finished */
  callsStartedAt?: number;
  folderErrors: Map<FolderKey, FolderError>;
}

const int = z.number().int();
const groupCodec = z.strictObject({
  groupId: z.string().min(1).optional(),
  name: z.string(),
  pending: z.boolean(),
  sentAt: int.optional(),
});
const rejectionCodec = z.strictObject({ code: int, msg: z.string(), at: int, fp: z.string() });
const retryCodec = z.strictObject({ attempts: int.min(0), notBefore: int, code: int });
const folderErrorCodec = z.strictObject({
  code: int,
  msg: z.string(),
  endpoint: z.string(),
  traceId: z.string(),
  at: int,
});
const parkedCodec = z.strictObject({ reason: z.string(), at: int, attempts: int });

/**
 * Ledger fields: `g|<folder>` a group with its confirmed members (one field per folder, so a
 * small account's ledger stays a small listpack), `foreign`, `epoch`. Before 0.4 each member
 * had a field of its own, `m|<folder>|<conversation>` = '1': still read, and replaced by its
 * folder's field the next time a reconcile writes (see `legacyMembers`).
 */
export const ledgerField = {
  group: (folder: FolderKey) => `g|${folder}`,
  legacyMember: (folder: FolderKey, conv: ConversationKey) => `m|${folder}|${conv}`,
  foreign: 'foreign',
  epoch: 'epoch',
};

/** Separators of the compact group value; neither occurs in a conversation key (events refuse control characters). */
const GS = '\x1d';
const RS = '\x1e';
const CONTROL = /\p{Cc}/u;
const CONVERSATION_KEY = /^[123]\|\P{Cc}+$/u;

/**
 * A group and its members in one value: `=` (confirmed) or `?` (pending), the group id, GS, the
 * members sorted and joined by RS, GS, the name (last: it may hold anything). A group id with a
 * control character falls back to JSON with a `members` list, which the reader also takes.
 */
function encodeLedgerFolder(group: LedgerGroup, members: Iterable<ConversationKey>): string {
  const sorted = [...members].sort();
  if (CONTROL.test(group.groupId ?? '')) return JSON.stringify({ ...group, members: sorted });
  // a pending create has no group id yet: its slot holds `@<when it was sent>`
  const id = group.groupId ?? (group.pending && group.sentAt !== undefined ? `@${group.sentAt}` : '');
  return `${group.pending ? '?' : '='}${id}${GS}${sorted.join(RS)}${GS}${group.name}`;
}

/** A `g|<folder>` value (either form), or undefined when it does not decode. */
export function decodeLedgerFolder(
  text: string,
): { group: LedgerGroup; members: ConversationKey[] } | undefined {
  const kind = text.charAt(0);
  if (kind === '{') {
    const parsed = json(
      groupCodec.extend({ members: z.array(z.string().regex(CONVERSATION_KEY)).optional() }),
      text,
    );
    if (!parsed) return undefined;
    const { members = [], ...group } = parsed;
    return { group, members: members as ConversationKey[] };
  }
  const a = text.indexOf(GS);
  const b = a < 0 ? -1 : text.indexOf(GS, a + 1);
  if ((kind !== '=' && kind !== '?') || b < 0) return undefined;
  const groupId = text.slice(1, a);
  const list = text.slice(a + 1, b);
  const members = list === '' ? [] : list.split(RS);
  if (!members.every((m) => CONVERSATION_KEY.test(m))) return undefined;
  const group: LedgerGroup = { name: text.slice(b + 1), pending: kind === '?' };
  const sentAt = kind === '?' && /^@\d+$/.test(groupId) ? Number(groupId.slice(1)) : undefined;
  if (sentAt !== undefined) group.sentAt = sentAt;
  else if (groupId !== '') group.groupId = groupId;
  return { group, members: members as ConversationKey[] };
}

const STATUS_NUMBERS = [
  'lastSyncAt',
  'lastDurationMs',
  'lastCalls',
  'rulesGeneration',
  'verifiedAt',
  'overflow',
  'conversationsCreated',
  /**
   * set before a reconcile's first provider call and cleared when it finishes: found set, the
   * last reconcile stopped between a call and its ledger write (SIGKILL, a lost lease), so the
   * ledger may miss a change the provider made, and the groups are read back first
   */
  'callsStartedAt',
] as const;
export type StatusNumber = (typeof STATUS_NUMBERS)[number];

/** Status fields: the numbers above and `error|<folder>` per failed folder. */
export const statusField = {
  folderError: (folder: FolderKey) => `error|${folder}`,
};

export const encode = {
  ledgerFolder: encodeLedgerFolder,
  rejection: (r: Rejection) => JSON.stringify(r),
  retry: (r: RetryRecord) => JSON.stringify(r),
  folderError: (e: FolderError) => JSON.stringify(e),
  parked: (p: ParkedRecord) => JSON.stringify(p),
};

/** A parked record that does not decode still says the account is parked. */
export function decodeParked(text: string | null): ParkedRecord | undefined {
  if (text === null) return undefined;
  return json(parkedCodec, text) ?? { reason: 'unreadable record', at: 0, attempts: 0 };
}

/** A decoded hash, and the fields that did not decode (to discard). */
export interface Decoded<T> {
  value: T;
  corrupt: string[];
}

function json<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const isCount = (v: string) => /^(0|[1-9][0-9]{0,8})$/.test(v);

export function decodeLedger(hash: Readonly<Record<string, string>>): Decoded<MutableLedger> {
  const ledger: MutableLedger = {
    groups: new Map(),
    members: new Map(),
    foreignGroups: 0,
    epoch: undefined,
    legacyMembers: new Map(),
  };
  const corrupt: string[] = [];
  const membersOf = (folder: FolderKey) => {
    let set = ledger.members.get(folder);
    if (!set) {
      set = new Set();
      ledger.members.set(folder, set);
    }
    return set;
  };
  const legacy: Array<[FolderKey, ConversationKey]> = [];
  for (const [field, value] of Object.entries(hash)) {
    if (field === ledgerField.foreign && isCount(value)) ledger.foreignGroups = Number(value);
    else if (field === ledgerField.epoch && value !== '') ledger.epoch = value;
    else if (field.startsWith('g|') && isFolderKey(field.slice(2))) {
      const decoded = decodeLedgerFolder(value);
      const folder = field.slice(2) as FolderKey;
      if (decoded && (decoded.group.pending || decoded.group.groupId !== undefined)) {
        ledger.groups.set(folder, decoded.group);
        const set = membersOf(folder);
        for (const conv of decoded.members) set.add(conv);
      } else corrupt.push(field);
    } else if (field.startsWith('m|') && value === '1') {
      const sep = field.indexOf('|', 2);
      const folder = field.slice(2, sep);
      const conv = field.slice(sep + 1);
      if (sep < 0 || !isFolderKey(folder) || !/^[123]\|./.test(conv)) {
        corrupt.push(field);
        continue;
      }
      legacy.push([folder, conv as ConversationKey]);
    } else corrupt.push(field);
  }
  for (const [folder, conv] of legacy) {
    // members of a folder with no group record cannot be trusted either
    if (!ledger.groups.has(folder)) {
      corrupt.push(ledgerField.legacyMember(folder, conv));
      continue;
    }
    membersOf(folder).add(conv);
    let fields = ledger.legacyMembers.get(folder);
    if (!fields) {
      fields = new Set();
      ledger.legacyMembers.set(folder, fields);
    }
    fields.add(conv);
  }
  for (const [folder, set] of ledger.members) if (set.size === 0) ledger.members.delete(folder);
  return { value: ledger, corrupt };
}

function decodeJsonMap<T>(
  hash: Readonly<Record<string, string>>,
  schema: z.ZodType<T>,
): Decoded<Map<string, T>> {
  const value = new Map<string, T>();
  const corrupt: string[] = [];
  for (const [field, text] of Object.entries(hash)) {
    const record = json(schema, text);
    if (record === undefined) corrupt.push(field);
    else value.set(field, record);
  }
  return { value, corrupt };
}

export const decodeRejections = (hash: Readonly<Record<string, string>>) =>
  decodeJsonMap(hash, rejectionCodec);
export const decodeRetries = (hash: Readonly<Record<string, string>>) => decodeJsonMap(hash, retryCodec);

export function decodeStatus(hash: Readonly<Record<string, string>>): Decoded<AccountStatusRecord> {
  const status: AccountStatusRecord = { folderErrors: new Map() };
  const corrupt: string[] = [];
  for (const [field, text] of Object.entries(hash)) {
    if ((STATUS_NUMBERS as readonly string[]).includes(field) && /^[0-9]{1,16}$/.test(text)) {
      status[field as StatusNumber] = Number(text);
    } else if (field.startsWith('error|') && isFolderKey(field.slice(6))) {
      const error = json(folderErrorCodec, text);
      if (error) status.folderErrors.set(field.slice(6) as FolderKey, error);
      else corrupt.push(field);
    } else corrupt.push(field);
  }
  return { value: status, corrupt };
}

// ---------------------------------------------------------------------------------------------
// The kept evaluation of a big account (src/plan/incremental.ts), hash `eval:<account>`:
// `m` its summary, `w<i>` folder i's window, and per conversation (`type|target`) the folders
// it is a candidate of (`0,2`). Any of it that does not decode makes the reconcile evaluate in
// full and write it again: it is a cache, never the only copy of anything.

/** The `m` field: what the kept windows were built under, and the counts that say they are exact. */
export interface EvaluationMeta {
  defs: string;
  /** the fleet's rules generation of that evaluation (null: rules given directly) */
  generation: number | null;
  /** HLEN(facts) − counts.n at the read it reflects: a facts field the fold did not make changes it */
  offset: number;
  over: number;
  distinct: number;
  folders: number;
  size: number;
}

const metaCodec = z.strictObject({
  defs: z.string().min(1),
  generation: int.nullable(),
  offset: int,
  over: int.min(0),
  distinct: int.min(0),
  folders: int.min(0),
  size: int.min(1),
});

export const evaluationField = {
  meta: 'm',
  window: (index: number) => `w${index}`,
};

export const encodeEvaluation = {
  meta: (m: EvaluationMeta) => JSON.stringify(m),
  /** count, then conversation and recency (base 36) pairs, best first */
  window: (w: FolderWindow) =>
    JSON.stringify([w.count, ...w.ranked.flatMap((r) => [r.c, r.at.toString(36)])]),
  membership: (folders: readonly number[]) => folders.join(','),
};

export const decodeEvaluation = {
  meta: (text: string | null): EvaluationMeta | undefined =>
    text === null ? undefined : json(metaCodec, text),
  window(text: string | null): FolderWindow | undefined {
    if (text === null) return undefined;
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!Array.isArray(list) || list.length % 2 !== 1 || !Number.isInteger(list[0])) return undefined;
    const ranked: Ranked[] = [];
    for (let i = 1; i < list.length; i += 2) {
      const c: unknown = list[i];
      const at: unknown = list[i + 1];
      if (
        typeof c !== 'string' ||
        !/^[123]\|./.test(c) ||
        typeof at !== 'string' ||
        !/^[0-9a-z]{1,11}$/.test(at)
      )
        return undefined;
      ranked.push({ c: c as ConversationKey, at: Number.parseInt(at, 36) });
    }
    return { count: list[0] as number, ranked };
  },
  /** undefined: not a membership list; [] for no field */
  membership(text: string | null): number[] | undefined {
    if (text === null) return [];
    if (!/^[0-9]+(,[0-9]+)*$/.test(text)) return undefined;
    return text.split(',').map(Number);
  },
};
