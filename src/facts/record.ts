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
