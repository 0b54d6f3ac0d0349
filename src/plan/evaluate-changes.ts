/**
 * An evaluation kept from the last reconcile, brought up to date with the conversations whose
 * facts changed since (pure): the rules run on those alone (src/plan/incremental.ts).
 */
import type { AccountFacts } from '../facts/views.js';
import { conversationKey } from '../rules/evaluate.js';
import { candidateFolders, type Definition } from './desired.js';
import { type Change, type EvaluationSummary, updateSummary } from './incremental.js';
import type { ConversationKey, ProviderLimits } from './types.js';

export type ChangesOutcome =
  | {
      ok: true;
      summary: EvaluationSummary;
      /** windows (by folder index) that changed */
      changedWindows: number[];
      /** the folders each changed conversation is a candidate of now ([] = none: forget it) */
      memberships: Map<ConversationKey, number[]>;
    }
  | { ok: false; reason: string };

export function evaluateChanges(
  summary: EvaluationSummary,
  defs: readonly Definition[],
  limits: ProviderLimits,
  /** the changed conversations, with the folders each was a candidate of ([] = none) */
  before: ReadonlyMap<ConversationKey, readonly number[]>,
  /** the changed conversations' facts now */
  facts: AccountFacts,
): ChangesOutcome {
  if (summary.windows.length !== defs.length) return { ok: false, reason: 'folders changed' };
  const candidates = candidateFolders(defs);
  const views = new Map(facts.views.map((v) => [conversationKey(v), v]));
  const memberships = new Map<ConversationKey, number[]>();
  const changes: Change[] = [];
  for (const [c, was] of before) {
    const after = candidates(c, views.get(c), facts.removed.has(c));
    memberships.set(c, after);
    changes.push({ c, before: was, after, at: facts.recency.get(c) ?? 0 });
  }
  const update = updateSummary(summary, changes, limits);
  return update.ok ? { ...update, memberships } : update;
}
