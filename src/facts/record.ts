import type { Register } from './registers.js';

/**
 * The compact facts layout (since 0.3): one hash field per conversation, `${type}|${target}`,
 * whose value holds all of its registers, so that one HMGET reads a conversation whole (an
 * incremental reconcile reads only the conversations that changed) and a small account's
 * facts hash stays a small listpack. The value is registers joined by RS (\x1e); a register is
 * `${kind}${name}` US `${stamp}` US `${payload}` (US = \x1f) with kind `p` presence, `x` removal,
 * `a` attribute, `t` tag, and the stamp `${at}.${tiebreak}` in base 36 — empty when it equals
 * the previous register's (one event's registers share one stamp). Neither separator can
 * occur in a name or payload: tags and attribute names refuse control characters and payloads
 * are JSON or single characters. The fold (applyEvent Lua) writes it, this module reads it.
 */
export const RS = '\x1e';
export const US = '\x1f';

export interface NamedRegister extends Register {
  /** `p`, `x`, `a${attribute}` or `t${tag}` */
  name: string;
}

export const stamp36 = (at: number, tiebreak: number): string =>
  `${at.toString(36)}.${tiebreak.toString(36)}`;

const BASE36 = /^[0-9a-z]{1,11}$/;

function parseStamp(text: string): { at: number; tiebreak: number } | undefined {
  const dot = text.indexOf('.');
  const at = text.slice(0, dot);
  const tiebreak = text.slice(dot + 1);
  if (dot < 0 || !BASE36.test(at) || !BASE36.test(tiebreak)) return undefined;
  return { at: Number.parseInt(at, 36), tiebreak: Number.parseInt(tiebreak, 36) };
}

/**
 * A conversation record's registers, in stored order; the ones that do not decode are counted
 * (skipped as if their event never came, like a corrupt legacy field).
 */
export function decodeRecord(value: string): { registers: NamedRegister[]; corrupt: number } {
  const registers: NamedRegister[] = [];
  let corrupt = 0;
  let previous: { at: number; tiebreak: number } | undefined;
  for (const part of value.split(RS)) {
    const a = part.indexOf(US);
    const b = a < 0 ? -1 : part.indexOf(US, a + 1);
    const name = part.slice(0, a);
    const kind = name.charAt(0);
    const named = kind === 'a' || kind === 't';
    const stampText = b < 0 ? '' : part.slice(a + 1, b);
    const stamp = stampText === '' ? previous : parseStamp(stampText);
    if (b < 0 || !stamp || (named ? name.length < 2 : name.length !== 1 || (kind !== 'p' && kind !== 'x'))) {
      corrupt++;
      previous = undefined; // an elided stamp after a corrupt one cannot be trusted either
      continue;
    }
    previous = stamp;
    registers.push({ name, ...stamp, payload: part.slice(b + 1) });
  }
  return { registers, corrupt };
}

/** The stored value of a conversation's registers (the fold's encoding, for tests and the migration). */
export function encodeRecord(registers: readonly NamedRegister[]): string {
  let previous = '';
  return registers
    .map((r) => {
      const stamp = stamp36(r.at, r.tiebreak);
      const shown = stamp === previous ? '' : stamp;
      previous = stamp;
      return `${r.name}${US}${shown}${US}${r.payload}`;
    })
    .join(RS);
}

/** The register name of a legacy field's suffix: `p`, `x`, `a|kind` → `akind`, `t|vip` → `tvip`. */
export function registerName(legacySuffix: string): string {
  return legacySuffix.length > 1 ? `${legacySuffix.charAt(0)}${legacySuffix.slice(2)}` : legacySuffix;
}

/**
 * The pack: the records of an account's first conversations in one field, `*`. A small
 * account's facts are then one value instead of one hash entry per conversation, which in Redis
 * costs some 60 bytes each besides the record. Layout: a dictionary of register names joined by
 * US (`aname`, `tcustomer`…), then one entry per conversation, GS `${type}|${target}` FS record
 * (GS = \x1d, FS = \x1c: neither occurs in a record, and a conversation whose target holds one
 * gets a field of its own), where a register named in the
 * dictionary is written by its index in decimal (a kind is a letter, so the two cannot mix).
 * A conversation joins the pack while it holds fewer than PACK_MAX_ENTRIES entries and
 * PACK_MAX_BYTES (the fold rewrites it whole); later ones get a field of their own. A
 * conversation is in the pack or in its field: were it in both (a legacy migration), the reader
 * keeps the newer of each register, as for legacy fields.
 */
export const PACK_FIELD = '*';
export const PACK_MAX_ENTRIES = 64;
export const PACK_MAX_BYTES = 4096;
const GS = '\x1d';
const FS = '\x1c';
const INDEX = /^\d+$/;

/** A packed record with its register names spelled out: a record as a field holds it. */
function expand(record: string, names: readonly string[]): string {
  return record
    .split(RS)
    .map((register) => {
      const end = register.indexOf(US);
      const name = end < 0 ? '' : register.slice(0, end);
      return INDEX.test(name) && names[Number(name)] !== undefined
        ? `${names[Number(name)]}${register.slice(end)}`
        : register;
    })
    .join(RS);
}

const dictionaryOf = (pack: string) => {
  const end = pack.indexOf(GS);
  return (end < 0 ? pack : pack.slice(0, end)).split(US);
};

/** The pack's entries as [conversation, record]; an entry without FS is reported as corrupt. */
export function unpackRecords(pack: string): { entries: Array<[string, string]>; corrupt: number } {
  const entries: Array<[string, string]> = [];
  let corrupt = 0;
  const [, ...rest] = pack.split(GS);
  const names = dictionaryOf(pack);
  for (const entry of rest) {
    const sep = entry.indexOf(FS);
    if (sep <= 0) corrupt++;
    else entries.push([entry.slice(0, sep), expand(entry.slice(sep + 1), names)]);
  }
  return { entries, corrupt };
}

/** One conversation's record in a pack (names spelled out), if the pack holds it. */
export function recordInPack(pack: string | null | undefined, conversation: string): string | undefined {
  if (!pack) return undefined;
  const head = `${GS}${conversation}${FS}`;
  const at = pack.indexOf(head);
  if (at < 0) return undefined;
  const end = pack.indexOf(GS, at + head.length);
  return expand(pack.slice(at + head.length, end < 0 ? undefined : end), dictionaryOf(pack));
}

/** The pack holding these records (the fold's encoding, for tests). */
export function packRecords(entries: ReadonlyArray<readonly [string, string]>): string {
  const names: string[] = [];
  const body = entries.map(([c, record]) => {
    const packed = record.split(RS).map((register) => {
      const end = register.indexOf(US);
      const name = register.slice(0, end);
      if (name === 'p' || name === 'x') return register;
      if (!names.includes(name)) names.push(name);
      return `${names.indexOf(name)}${register.slice(end)}`;
    });
    return `${GS}${c}${FS}${packed.join(RS)}`;
  });
  return names.join(US) + body.join('');
}
