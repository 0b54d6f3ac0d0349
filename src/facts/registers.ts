import { createHash } from 'node:crypto';

/**
 * Facts are last-writer-wins registers in Redis hashes, one field per fact:
 *   facts:{account}    `${type}|${target}|p`          presence: '1' present, '0' removed
 *                      `${type}|${target}|x`          stamp of the newest removal
 *                      `${type}|${target}|a|${name}`  attribute: JSON value, 'null' = unset
 *                      `${type}|${target}|t|${tag}`   tag: '1' on, '0' off
 *   folders:{account}  `f|${folderId}`                user folder JSON, '' = deleted
 *                      `c|${folderId}`                first-seen time (creation order)
 * A register's value is `${at}|${tiebreak}|${payload}`. A write wins when (at, tiebreak) is
 * greater, so late, repeated and reordered events converge. The tiebreak is a number derived
 * from the event id: equal `at` is broken the same way in TypeScript and in Lua (which
 * compares strings by locale, so it must not compare ids).
 */
export type HashName = 'facts' | 'folders';

export interface RegisterWrite {
  hash: HashName;
  field: string;
  /** 'lww': last writer wins; 'min': keep the earliest (creation time) */
  mode: 'lww' | 'min';
  payload: string;
  /**
   * This register says whether a conversation ('conversations': its presence) or a user folder
   * ('folders') is live, so the fold can keep the account's counts for their limits.
   */
  counts?: 'conversations' | 'folders';
}

export interface Stamp {
  at: number;
  tiebreak: number;
}

export interface Register extends Stamp {
  payload: string;
}

/**
 * 30 bits of SHA-1 of the event id: exact in Lua and JavaScript, six base-36 digits in a stored
 * stamp (it breaks ties of `at` only: two events of one conversation in the same millisecond).
 * Stamps written before 0.3 hold 48 bits; comparing the two is still one total order.
 */
export function tiebreakOf(eventId: string): number {
  return createHash('sha1').update(eventId).digest().readUInt32BE(0) >>> 2;
}

export function parseRegister(value: string): Register | undefined {
  const a = value.indexOf('|');
  const b = a < 0 ? -1 : value.indexOf('|', a + 1);
  if (b < 0) return undefined;
  const at = Number(value.slice(0, a));
  const tiebreak = Number(value.slice(a + 1, b));
  if (!Number.isFinite(at) || !Number.isFinite(tiebreak)) return undefined;
  return { at, tiebreak, payload: value.slice(b + 1) };
}

export function isNewer(a: Stamp, b: Stamp): boolean {
  return a.at > b.at || (a.at === b.at && a.tiebreak > b.tiebreak);
}
