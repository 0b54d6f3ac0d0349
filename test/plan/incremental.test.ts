/**
 * The incremental evaluation against the full one on random histories: random fact changes,
 * random reconcile points (each one compares both), random rules and user-folder changes,
 * rejections recorded along the way, limits small enough that windows fill, run out and
 * conversations compete for slots. Where the incremental path answers, its plan must be the
 * full path's exactly; where it cannot, it must say so (and the summary is rebuilt).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountFacts, StoredUserFolder } from '../../src/facts/views.js';
import {
  definitions,
  definitionsKey,
  desiredFromSummary,
  desiredState,
  splitPair,
} from '../../src/plan/desired.js';
import { evaluateChanges } from '../../src/plan/evaluate-changes.js';
import { type EvaluationSummary, summarize } from '../../src/plan/incremental.js';
import {
  applyCalls,
  type ConversationKey,
  type Ledger,
  type ProviderLimits,
  plan,
} from '../../src/plan/index.js';
import type { AttrValue, ConversationView } from '../../src/rules/evaluate.js';
import type { AppFolder, Rule, UserFolder } from '../../src/rules/schema.js';

const KEYS: ConversationKey[] = ['1|a', '1|b', '1|c', '2|a', '2|b', '2|c', '2|d', '2|e', '3|f', '3|g'];
const RULES: Rule[] = [
  { attr: 'kind', eq: 'project' },
  { attr: 'pinned', eq: true },
  { attr: 'tags', has: 'vip' },
  { type: [1] },
  { not: { attr: 'kind', eq: 'project' } },
  {
    any: [
      { attr: 'tags', has: 'x' },
      { attr: 'pinned', exists: true },
    ],
  },
];

type ConvState =
  | { kind: 'absent' }
  | { kind: 'removed' }
  | { kind: 'present'; attributes: Record<string, AttrValue> };

const convState = fc.oneof(
  { weight: 1, arbitrary: fc.constant<ConvState>({ kind: 'removed' }) },
  {
    weight: 5,
    arbitrary: fc
      .record({
        kind: fc.option(fc.constantFrom('project', 'chat'), { nil: undefined }),
        pinned: fc.option(fc.boolean(), { nil: undefined }),
        tags: fc.subarray(['vip', 'x']),
      })
      .map((a): ConvState => {
        const attributes: Record<string, AttrValue> = {};
        if (a.kind !== undefined) attributes.kind = a.kind;
        if (a.pinned !== undefined) attributes.pinned = a.pinned;
        if (a.tags.length) attributes.tags = a.tags;
        return { kind: 'present', attributes };
      }),
  },
);

const appFolders = fc
  .uniqueArray(fc.integer({ min: 0, max: RULES.length - 1 }), { minLength: 1, maxLength: 4 })
  .map((rules) =>
    rules.map(
      (r, i): AppFolder => ({ id: `f${r}`, name: `F${i}`, rule: RULES[r]!, deleteWhenEmpty: i % 2 === 1 }),
    ),
  );

const ref = (c: ConversationKey) => ({ type: Number(c[0]) as 1 | 2 | 3, target: c.slice(2) });
const userFolder = fc
  .record({
    include: fc.subarray(KEYS, { maxLength: 3 }),
    exclude: fc.subarray(KEYS, { maxLength: 2 }),
    rule: fc.option(fc.constantFrom(...RULES), { nil: undefined }),
  })
  .map(
    (u): UserFolder => ({
      id: 'mine',
      name: 'Mine',
      include: u.include.map(ref),
      exclude: u.exclude.map(ref),
      ...(u.rule ? { rule: u.rule } : {}),
    }),
  );

const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('change' as const),
      c: fc.constantFrom(...KEYS),
      s: convState,
      // mostly the newest event; sometimes a late one (an older recency), or the same time
      late: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined, freq: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('reconcile' as const),
      apply: fc.boolean(),
      // a permanent refusal of one item, as an executed call records it
      reject: fc.option(fc.nat(), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rules' as const), folders: appFolders }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('user' as const),
      folder: fc.option(userFolder, { nil: undefined }),
    }),
  },
);

const limits = fc.record({
  idsPerCall: fc.constantFrom(1, 3, 100),
  groupsPerConversation: fc.constantFrom(1, 3, 5, 5),
  groupsPerAccount: fc.constantFrom(2, 3, 50),
  conversationsPerGroup: fc.constantFrom(1, 2, 3, 3, 1000),
  conversationsPerAccount: fc.constantFrom(undefined, undefined, 6, 1000),
  mixedMembershipUpdate: fc.boolean(),
});

function factsOf(model: Map<ConversationKey, { s: ConvState; at: number }>): AccountFacts {
  const views: ConversationView[] = [];
  const recency = new Map<ConversationKey, number>();
  const removed = new Set<ConversationKey>();
  for (const [c, { s, at }] of model) {
    if (s.kind === 'removed') removed.add(c);
    if (s.kind !== 'present') continue;
    views.push({ ...ref(c), attributes: s.attributes });
    recency.set(c, at);
  }
  return { views, recency, removed };
}

const stats = { incremental: 0, fallback: 0, partialWindows: 0, reasons: new Map<string, number>() };

describe('incremental evaluation', () => {
  it('plans exactly what a full evaluation plans, on random histories', () => {
    fc.assert(
      fc.property(
        limits,
        appFolders,
        fc.array(step, { minLength: 20, maxLength: 80 }),
        fc.constantFrom(0, 1, 2),
        (rawLimits, initialFolders, steps, reserve) => {
          const lim: ProviderLimits = rawLimits.conversationsPerAccount
            ? rawLimits
            : { ...rawLimits, conversationsPerAccount: undefined };
          const provider = { limits: lim, groupName: (n: string, suffix = '') => `${n}${suffix}` };
          let folders = initialFolders;
          let users: StoredUserFolder[] = [];
          const model = new Map<ConversationKey, { s: ConvState; at: number }>();
          const dirty = new Set<ConversationKey>();
          let clock = 1000;
          let ledger: Ledger = { groups: new Map(), members: new Map(), foreignGroups: 0 };
          const rejections = new Map<string, { fp: string }>();
          let kept: { summary: EvaluationSummary; memberships: Map<ConversationKey, number[]> } | undefined;
          let ids = 0;

          for (const s of steps) {
            if (s.t === 'change') {
              if (s.late === undefined) clock += 1;
              model.set(s.c, { s: s.s, at: clock - (s.late ?? 0) });
              dirty.add(s.c);
            } else if (s.t === 'rules') folders = s.folders;
            else if (s.t === 'user') users = s.folder ? [{ folder: s.folder, createdAt: 1 }] : [];
            const facts = factsOf(model);
            const snapshot = { facts, userFolders: users, ledger, rejections, retries: new Map() };
            const full = desiredState(snapshot, folders, provider, clock);
            const fullPlan = plan(full.input);
            if (s.t !== 'reconcile') continue;

            const defs = definitions(folders, users);
            const key = definitionsKey(defs, lim);
            let rebuild = kept === undefined || kept.summary.defs !== key;
            if (kept && !rebuild) {
              const before = new Map([...dirty].map((c) => [c, kept!.memberships.get(c) ?? []]));
              const changedFacts = factsOf(new Map([...model].filter(([c]) => dirty.has(c))));
              const out = evaluateChanges(kept.summary, defs, lim, before, changedFacts);
              if (out.ok) {
                stats.incremental++;
                const views = new Map(facts.views.map((v) => [`${v.type}|${v.target}`, v]));
                const inc = desiredFromSummary(
                  out.summary,
                  snapshot,
                  folders,
                  provider,
                  clock,
                  (c) => views.get(c),
                  dirty,
                );
                const incPlan = plan(inc.input);
                expect(incPlan.calls).toEqual(fullPlan.calls);
                expect(incPlan.desired).toEqual(fullPlan.desired);
                expect(incPlan.unresolved).toEqual(fullPlan.unresolved);
                expect(incPlan.waiting).toBe(fullPlan.waiting);
                let cut = 0;
                for (const k of incPlan.desired.keys()) cut += inc.cutBy?.get(k) ?? 0;
                expect(incPlan.overflow.length + cut).toBe(fullPlan.overflow.length);
                expect([...inc.input.blocked].sort()).toEqual([...full.input.blocked].sort());
                expect([...inc.staleRejections].sort()).toEqual([...full.staleRejections].sort());
                for (const [c, m] of out.memberships) {
                  if (m.length) kept.memberships.set(c, m);
                  else kept.memberships.delete(c);
                }
                kept.summary = out.summary;
                if (out.summary.windows.some((w) => w.count > w.ranked.length)) stats.partialWindows++;
              } else {
                stats.reasons.set(out.reason, (stats.reasons.get(out.reason) ?? 0) + 1);
                stats.fallback++;
                rebuild = true;
              }
            }
            // windows of a cap and one or two more: they run out and fill up within a few steps
            if (rebuild)
              kept = summarize(
                key,
                full.input.folders,
                full.input.recency,
                lim,
                lim.conversationsPerGroup + reserve,
              );
            // as the reconcile does: stale rejections are forgotten, the plan maybe executed
            for (const pair of full.staleRejections) rejections.delete(pair);
            dirty.clear();
            if (s.apply) ledger = applyCalls(ledger, fullPlan.calls, (f) => `g${++ids}-${f}`);
            if (s.reject !== undefined && full.input.folders.length > 0) {
              const f = full.input.folders[s.reject % full.input.folders.length]!;
              const c = KEYS[s.reject % KEYS.length]!;
              rejections.set(`${f.key}|${c}`, { fp: full.fingerprint(f.key, c) });
            }
            for (const pair of rejections.keys()) expect(splitPair(pair)[1]).toMatch(/^[123]\|/);
          }
        },
      ),
      { numRuns: 400 },
    );
    // the property is about the incremental path: it must have been taken, and often
    expect(stats.incremental).toBeGreaterThan(500);
    expect(stats.partialWindows).toBeGreaterThan(100);
    // and every way it gives up was met
    expect(stats.reasons.size).toBe(3);
  });
});
