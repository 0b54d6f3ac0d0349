/**
 * Cost per change, not per account (pure). A full evaluation tests every conversation against
 * every folder; this keeps what the planner needs of it, so that the next evaluation only tests
 * the conversations whose facts changed:
 *
 * - per folder, its candidate count (rule members and listed-only conversations) and a
 *   **window**: its best-ranked candidates (newest first, then key: the order in which
 *   conversationsPerGroup keeps them), `cap + reserve` of them. The planner needs only the
 *   first `cap`; the reserve lets members leave without a rescan. All candidates are in the
 *   window when `count === ranked.length`; otherwise every candidate outside it ranks below
 *   its last entry.
 * - per conversation, the folders it is a candidate of (to take it out of the right windows).
 *
 * Exactness: with no conversation a candidate of more folders than groupsPerConversation, and
 * conversationsPerAccount not reachable by the candidates together, the provider limits act on
 * each folder alone and keep exactly its first `cap` candidates: the planner given those gives
 * the plan it gives all candidates, and the overflow differs by the candidates cut. Where that
 * does not hold, or a window runs out (more members left its top than the reserve holds), the
 * update answers `full` and the caller evaluates the whole account (and rebuilds this).
 */
import { drain, STEP_EVERY, type Steps } from '../steps.js';
import type { ConversationKey, FolderSpec, ProviderLimits } from './types.js';

export interface Ranked {
  c: ConversationKey;
  /** recency: the newest event time of the conversation (0 for a listed-only one) */
  at: number;
}

export interface FolderWindow {
  count: number;
  /** best first */
  ranked: Ranked[];
}

export interface EvaluationSummary {
  /** what membership depends on (folder definitions in order, the limits): another → rebuild */
  defs: string;
  /** conversations that are candidates of more folders than groupsPerConversation */
  over: number;
  /** conversations that are a candidate of some folder */
  distinct: number;
  /** per folder, in the order of the definitions */
  windows: FolderWindow[];
  /** entries a window keeps (windowSize, unless a test asks for less) */
  size: number;
}

/** A conversation whose facts changed: the folders it was and is a candidate of, its recency now. */
export interface Change {
  c: ConversationKey;
  before: readonly number[];
  after: readonly number[];
  at: number;
}

export type Update =
  | { ok: true; summary: EvaluationSummary; changedWindows: number[] }
  | { ok: false; reason: string };

/** Newest first, then conversation key (code units): conversationsPerGroup's order. */
export const better = (a: Ranked, b: Ranked): boolean => a.at > b.at || (a.at === b.at && a.c < b.c);
const byRank = (a: Ranked, b: Ranked) => (better(a, b) ? -1 : better(b, a) ? 1 : 0);

/** How many candidates a window keeps: the group cap and a reserve of half as many again. */
export const windowSize = (limits: ProviderLimits): number =>
  limits.conversationsPerGroup + Math.max(16, Math.ceil(limits.conversationsPerGroup / 2));

/** The full evaluation's membership, summarised; `memberships` is what is stored per conversation. */
export function* summarizeSteps(
  defs: string,
  folders: readonly FolderSpec[],
  recency: ReadonlyMap<ConversationKey, number>,
  limits: ProviderLimits,
  size = windowSize(limits),
): Steps<{ summary: EvaluationSummary; memberships: Map<ConversationKey, number[]> }> {
  if (size < limits.conversationsPerGroup) throw new RangeError('a window must hold a full group');
  const memberships = new Map<ConversationKey, number[]>();
  const windows: FolderWindow[] = [];
  for (const [i, f] of folders.entries()) {
    const ranked: Ranked[] = [];
    for (const [n, c] of f.members.entries()) {
      if ((n + 1) % STEP_EVERY === 0) yield;
      const list = memberships.get(c);
      if (list) list.push(i);
      else memberships.set(c, [i]);
      ranked.push({ c, at: recency.get(c) ?? 0 });
    }
    yield;
    ranked.sort(byRank);
    yield;
    windows.push({ count: ranked.length, ranked: ranked.slice(0, size) });
  }
  let over = 0;
  for (const list of memberships.values()) if (list.length > limits.groupsPerConversation) over++;
  return { summary: { defs, over, distinct: memberships.size, windows, size }, memberships };
}

export const summarize = (
  defs: string,
  folders: readonly FolderSpec[],
  recency: ReadonlyMap<ConversationKey, number>,
  limits: ProviderLimits,
  size?: number,
) => drain(summarizeSteps(defs, folders, recency, limits, size));

/** Why this summary cannot stand for a full evaluation under these limits, if it cannot. */
export function inexact(summary: EvaluationSummary, limits: ProviderLimits): string | undefined {
  if (summary.over > 0) return 'a conversation matches more folders than groupsPerConversation';
  const cap = limits.conversationsPerAccount;
  if (cap !== undefined && summary.distinct > cap) return 'conversationsPerAccount is within reach';
  return undefined;
}

/** The summary after some conversations changed, or why only a full evaluation can say. */
export function updateSummary(
  summary: EvaluationSummary,
  changes: readonly Change[],
  limits: ProviderLimits,
): Update {
  const g = limits.groupsPerConversation;
  let { over, distinct } = summary;
  const touching = new Map<number, Change[]>();
  for (const ch of changes) {
    over += (ch.after.length > g ? 1 : 0) - (ch.before.length > g ? 1 : 0);
    distinct += (ch.after.length > 0 ? 1 : 0) - (ch.before.length > 0 ? 1 : 0);
    for (const i of new Set([...ch.before, ...ch.after])) {
      const list = touching.get(i);
      if (list) list.push(ch);
      else touching.set(i, [ch]);
    }
  }
  const { size } = summary;
  const windows = [...summary.windows];
  const changedWindows: number[] = [];
  for (const [i, list] of touching) {
    const w = windows[i];
    if (!w) return { ok: false, reason: `no window for folder ${i}` };
    const gone = new Set(list.map((ch) => ch.c));
    const entering = list.filter((ch) => ch.after.includes(i)).map((ch) => ({ c: ch.c, at: ch.at }));
    const count = w.count - list.filter((ch) => ch.before.includes(i)).length + entering.length;
    const complete = w.count === w.ranked.length;
    const last = w.ranked.at(-1);
    // every candidate outside an incomplete window ranks below its last entry: a conversation
    // entering below that may rank below some of them, so only ones above it are placed
    let known = [...w.ranked.filter((r) => !gone.has(r.c)), ...entering];
    if (!complete && last) known = known.filter((r) => !better(last, r));
    known.sort(byRank);
    const ranked = known.slice(0, size);
    if (count !== known.length && ranked.length < limits.conversationsPerGroup)
      return { ok: false, reason: 'a folder window ran out' };
    windows[i] = { count, ranked };
    changedWindows.push(i);
  }
  const next = { defs: summary.defs, over, distinct, windows, size };
  const why = inexact(next, limits);
  return why ? { ok: false, reason: why } : { ok: true, summary: next, changedWindows };
}

/**
 * Each folder's members as the planner should get them: the first `cap` of its window, sorted
 * by key, and how many candidates that leaves out (overflow the planner does not see).
 */
export function keptMembers(
  window: FolderWindow,
  limits: ProviderLimits,
): { members: ConversationKey[]; dropped: number } {
  const members = window.ranked
    .slice(0, limits.conversationsPerGroup)
    .map((r) => r.c)
    .sort();
  return { members, dropped: window.count - members.length };
}
