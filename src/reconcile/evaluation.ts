/**
 * How a reconcile evaluates the rules: on the changed conversations alone when the account's
 * kept evaluation allows it (src/plan/incremental.ts), else on every conversation — and then,
 * for a big account, it keeps the evaluation for next time. Full evaluation happens on a rules
 * or user-folder change (the definitions differ), a read-back (first contact, resync,
 * verification, a pending create), records that did not decode, legacy facts, and whenever
 * the kept evaluation cannot stand for a full one (see `inexact`, `updateSummary`).
 */

import { buildViews } from '../facts/views.js';
import {
  type DesiredState,
  definitions,
  definitionsKey,
  desiredFromSummary,
  desiredStateSteps,
} from '../plan/desired.js';
import { evaluateChanges } from '../plan/evaluate-changes.js';
import { summarizeSteps } from '../plan/incremental.js';
import type { ConversationKey, Plan, PlannedCall } from '../plan/types.js';
import type { GroupProvider } from '../provider/types.js';
import { type ConversationView, conversationKey } from '../rules/evaluate.js';
import type { AppFolder } from '../rules/schema.js';
import { runSliced } from '../steps.js';
import type { EvaluationChange, Lease, LoadedAccount } from '../store/account-store.js';
import { type EvaluationMeta, encodeEvaluation, evaluationField } from '../store/records.js';
import { planView } from './plan-view.js';

/** A big account keeps its evaluation from this many conversations on (a small one is cheap to redo). */
export const KEEP_EVALUATION_FROM = 2_000;

/** The rules a reconcile runs under: the fleet's, at a generation. */
export interface FleetRules {
  folders: readonly AppFolder[];
  /** undefined only where there is no fleet state (tests that pass rules directly) */
  generation: number | undefined;
}

/** What evaluation needs of the store besides the loaded state (AccountStore; a fake may lack it). */
export interface EvaluationStore {
  loadFacts(account: string): Promise<Pick<LoadedAccount, 'facts' | 'legacyFacts'> & { corrupt: number }>;
  saveEvaluation(lease: Lease, change: EvaluationChange): Promise<void>;
  /** the changed conversations' records (views for the fingerprints of refused items) */
  readRecords(account: string, conversations: readonly string[]): Promise<Record<string, string>>;
  /** moves legacy facts fields into records (returns the conversations moved) */
  migrateLegacyFacts(account: string): Promise<number>;
}

export interface Evaluator {
  mode: 'incremental' | 'full';
  desire(): Promise<DesiredState>;
  /** before a plan's calls run: what their failures' fingerprints need is at hand */
  prepare(plan: Plan): Promise<void>;
  /** overflow the plan does not list (candidates cut before the planner) */
  cutOverflow(plan: Plan): number;
}

export interface EvaluationOptions {
  store: Partial<EvaluationStore>;
  lease: Lease;
  state: LoadedAccount;
  rules: FleetRules;
  provider: Pick<GroupProvider, 'limits' | 'groupName'>;
  now: () => number;
  /** a read-back runs first: it evaluates in full */
  readBack: boolean;
  /** 'full' always evaluates everything (the benchmark's "before"); default 'auto' */
  mode?: 'auto' | 'full';
  keepFrom?: number;
}

export async function evaluator(o: EvaluationOptions): Promise<Evaluator> {
  const { state, store } = o;
  const usable =
    o.mode !== 'full' &&
    state.kept !== undefined &&
    !o.readBack &&
    state.frozenFolders.size === 0 &&
    state.corrupt.facts === 0 &&
    store.saveEvaluation !== undefined &&
    store.readRecords !== undefined;
  if (usable) {
    const incremental = await tryIncremental(o);
    if (incremental) return incremental;
  }
  if (state.kept) {
    // only the changes were read: read the rest
    if (!store.loadFacts) throw new Error('an incremental load needs loadFacts');
    const all = await store.loadFacts(o.lease.account);
    state.facts = all.facts;
    state.legacyFacts = all.legacyFacts;
    state.corrupt.facts = all.corrupt;
    state.kept = undefined;
  }
  return full(o);
}

async function tryIncremental(o: EvaluationOptions): Promise<Evaluator | undefined> {
  const { state, provider } = o;
  const kept = state.kept!;
  const defs = definitions(o.rules.folders, state.userFolders);
  if (definitionsKey(defs, provider.limits) !== kept.summary.defs) return undefined;
  const out = evaluateChanges(kept.summary, defs, provider.limits, kept.before, state.facts);
  if (!out.ok) return undefined;
  const views = new Map<ConversationKey, ConversationView | undefined>();
  for (const c of kept.before.keys()) views.set(c, undefined);
  for (const v of state.facts.views) views.set(conversationKey(v), v);
  const changed = new Set(kept.before.keys());

  const set: Array<[string, string]> = [];
  const del: string[] = [];
  for (const [c, folders] of out.memberships) {
    if (folders.length) set.push([c, encodeEvaluation.membership(folders)]);
    else del.push(c);
  }
  for (const i of out.changedWindows)
    set.push([evaluationField.window(i), encodeEvaluation.window(out.summary.windows[i]!)]);
  const meta: EvaluationMeta = { ...kept.meta, over: out.summary.over, distinct: out.summary.distinct };
  set.push([evaluationField.meta, encodeEvaluation.meta(meta)]);
  await o.store.saveEvaluation!(o.lease, { clear: false, set, del, dirty: state.dirty });

  let cutBy: DesiredState['cutBy'];
  return {
    mode: 'incremental',
    async desire() {
      const desired = desiredFromSummary(
        out.summary,
        planView(state),
        o.rules.folders,
        provider,
        o.now(),
        (c) => views.get(c),
        changed,
      );
      cutBy = desired.cutBy;
      return desired;
    },
    async prepare(plan) {
      const missing = [...new Set(plan.calls.flatMap(idsOf))].filter((c) => !views.has(c));
      if (missing.length === 0) return;
      const records = await o.store.readRecords!(o.lease.account, missing);
      const read = buildViews(records).facts.views;
      for (const c of missing) views.set(c, undefined);
      for (const v of read) views.set(conversationKey(v), v);
    },
    cutOverflow(plan) {
      let cut = 0;
      for (const folder of plan.desired.keys()) cut += cutBy?.get(folder) ?? 0;
      return cut;
    },
  };
}

function full(o: EvaluationOptions): Evaluator {
  const { state, provider } = o;
  let saved = false;
  return {
    mode: 'full',
    async desire() {
      const desired = await runSliced(desiredStateSteps(planView(state), o.rules.folders, provider, o.now()));
      if (!saved) {
        saved = true;
        await keep(o, desired);
      }
      return desired;
    },
    async prepare() {},
    cutOverflow: () => 0,
  };
}

/** After a full evaluation: keep it for a big account, drop a kept one otherwise; clear the marks. */
async function keep(o: EvaluationOptions, desired: DesiredState): Promise<void> {
  const { state, store } = o;
  if (!store.saveEvaluation) return;
  // facts from before records: moved now, so that the next reconcile can keep an evaluation
  if (state.legacyFacts > 0) await store.migrateLegacyFacts?.(o.lease.account);
  const conversations = state.facts.recency.size + state.facts.removed.size;
  const keepIt =
    o.mode !== 'full' &&
    conversations >= (o.keepFrom ?? KEEP_EVALUATION_FROM) &&
    state.legacyFacts === 0 &&
    state.corrupt.facts === 0 &&
    state.frozenFolders.size === 0;
  if (!keepIt) {
    if (state.evaluationKept || state.dirty.size > 0)
      await store.saveEvaluation(o.lease, {
        clear: state.evaluationKept,
        set: [],
        del: [],
        dirty: state.dirty,
      });
    return;
  }
  const defs = definitions(o.rules.folders, state.userFolders);
  const { summary, memberships } = await runSliced(
    summarizeSteps(
      definitionsKey(defs, o.provider.limits),
      desired.input.folders,
      desired.input.recency,
      o.provider.limits,
    ),
  );
  const set: Array<[string, string]> = [];
  for (const [c, folders] of memberships) set.push([c, encodeEvaluation.membership(folders)]);
  summary.windows.forEach((w, i) => {
    set.push([evaluationField.window(i), encodeEvaluation.window(w)]);
  });
  const meta: EvaluationMeta = {
    defs: summary.defs,
    generation: state.fleet.rulesGeneration ?? null,
    offset: state.factsOffset ?? 0,
    over: summary.over,
    distinct: summary.distinct,
    folders: summary.windows.length,
    size: summary.size,
  };
  set.push([evaluationField.meta, encodeEvaluation.meta(meta)]);
  await store.saveEvaluation(o.lease, { clear: true, set, del: [], dirty: state.dirty });
}

function idsOf(call: PlannedCall): ConversationKey[] {
  if (call.kind === 'update') return [...call.add, ...call.remove];
  return 'ids' in call ? call.ids : [];
}
