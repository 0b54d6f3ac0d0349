/**
 * 2. API economy: a seeded, realistic workload (Zipf-skewed accounts, bursts, late and
 * repeated events) through the product against an in-process simulator; provider calls made
 * against the minimal number for the net change, and against a naive per-event baseline.
 */
import { loadRulesFile } from '../../src/rules/load.js';
import type { AppFolder } from '../../src/rules/schema.js';
import { startSimulator } from '../../src/simulators/yunxin/server.js';
import {
  type BenchProvider,
  RULES,
  type SimCallStats,
  startBenchEngine,
  yunxinGroupsOf,
} from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import { minimalCalls, modelOf, verifyAgainstSimulator } from '../lib/model.js';
import { runNaive } from '../lib/naive.js';
import type { Scenario } from '../lib/scenario.js';
import { median, round } from '../lib/stats.js';
import { now } from '../lib/time.js';
import { type BenchEvent, generateWorkload, type Workload } from '../lib/workload.js';

type Variant = 'product' | 'productLongDebounce' | 'naive';

export interface Run {
  calls: number;
  byEndpoint: Record<string, number>;
  seconds: number;
  reconciles?: number;
  mismatchedAccounts: number;
  mismatchExamples: string[];
}

export interface ApiEconomyFigures {
  workload: Workload['stats'];
  minimal: ReturnType<typeof minimalCalls>;
  longDebounceMs: number;
  rounds: Array<Record<Variant, Run>>;
  median: {
    productCalls: number;
    productLongDebounceCalls: number;
    naiveCalls: number;
    productOverMinimal: number;
    productLongDebounceOverMinimal: number;
    naiveOverProduct: number;
  };
}

const PUBLISH_CHUNK = 5_000;
const LONG_DEBOUNCE_MS = 10_000;

export const callsByEndpoint = (s: SimCallStats): Record<string, number> =>
  Object.fromEntries(
    Object.entries(s.byEndpoint).map(([endpoint, codes]) => [
      endpoint,
      Object.values(codes).reduce((a, b) => a + b, 0),
    ]),
  );

/** The product on the whole workload, published as a backlog; ends when every queue is empty. */
export async function runProduct(
  redisUrl: string,
  events: readonly BenchEvent[],
  appFolders: readonly AppFolder[],
  models: ReturnType<typeof modelOf>,
  debounceMs: number,
  provider: BenchProvider = 'yunxin',
): Promise<Run> {
  let reconciles = 0;
  const engine = await startBenchEngine({
    redisUrl,
    label: 'economy',
    provider,
    env: { DEBOUNCE_MS: String(debounceMs), PROVIDER_RATE_LIMIT: '1000' },
    observer: { reconciled: (_a, r) => r.outcome === 'done' && reconciles++ },
  });
  try {
    const t0 = now();
    for (let i = 0; i < events.length; i += PUBLISH_CHUNK) {
      const { refused } = await engine.publish(events.slice(i, i + PUBLISH_CHUNK));
      if (refused.length) throw new Error(`workload event refused: ${JSON.stringify(refused[0])}`);
    }
    await engine.idle();
    const seconds = (now() - t0) / 1000;
    const stats = engine.sim.calls.snapshot();
    const check = verifyAgainstSimulator(engine, models, appFolders);
    return {
      calls: stats.total,
      byEndpoint: callsByEndpoint(stats),
      seconds: round(seconds, 2),
      reconciles,
      mismatchedAccounts: check.mismatched,
      mismatchExamples: check.examples,
    };
  } finally {
    await engine.close();
  }
}

async function runNaiveBaseline(
  redisUrl: string,
  events: readonly BenchEvent[],
  appFolders: readonly AppFolder[],
  models: ReturnType<typeof modelOf>,
): Promise<Run> {
  const sim = await startSimulator({ rateLimit: { perSecond: 0 } });
  try {
    const { ms } = await runNaive({ redisUrl, sim, events, appFolders });
    const stats = sim.calls.snapshot();
    const check = verifyAgainstSimulator({ groups: yunxinGroupsOf(sim) }, models, appFolders);
    return {
      calls: stats.total,
      byEndpoint: callsByEndpoint(stats),
      seconds: round(ms / 1000, 2),
      mismatchedAccounts: check.mismatched,
      mismatchExamples: check.examples,
    };
  } finally {
    await sim.close();
  }
}

export const apiEconomy: Scenario<ApiEconomyFigures> = {
  name: 'api-economy',
  title: '2. API economy',
  expectedSeconds: { quick: 75, full: 220 },
  async run(ctx) {
    const rounds = ctx.profile === 'full' ? 3 : 1;
    // the minimum sizes in both profiles (comparable figures); full repeats 3 times
    const sizes = { accounts: 2_000, events: 50_000 };
    const workload = generateWorkload({ seed: 20_251_121, ...sizes });
    const { rules } = await loadRulesFile(RULES);
    const models = modelOf(workload.events);
    const minimal = minimalCalls(models, rules.folders);
    if (minimal.planner !== minimal.formula)
      throw new Error(`minimal calls disagree: planner ${minimal.planner}, formula ${minimal.formula}`);
    ctx.log(
      `workload: ${sizes.accounts} accounts, ${workload.stats.deliveredEvents} events delivered; minimal ${minimal.total} calls`,
    );

    const runs: Array<Record<Variant, Run>> = [];
    const order: Variant[] = ['product', 'productLongDebounce', 'naive'];
    for (let r = 0; r < rounds; r++) {
      const round: Partial<Record<Variant, Run>> = {};
      // rotate the order each round so drift in the machine's load hits every variant alike
      for (const v of [...order.slice(r % 3), ...order.slice(0, r % 3)]) {
        round[v] =
          v === 'naive'
            ? await runNaiveBaseline(ctx.redisUrl, workload.events, rules.folders, models)
            : await runProduct(
                ctx.redisUrl,
                workload.events,
                rules.folders,
                models,
                v === 'product' ? 250 : LONG_DEBOUNCE_MS,
              );
        ctx.log(
          `round ${r + 1} ${v}: ${round[v]!.calls} calls in ${round[v]!.seconds} s, ${round[v]!.mismatchedAccounts} accounts differ from the model`,
        );
      }
      runs.push(round as Record<Variant, Run>);
    }
    const med = (v: Variant) => median(runs.map((x) => x[v].calls));
    const figures: ApiEconomyFigures = {
      workload: workload.stats,
      minimal,
      longDebounceMs: LONG_DEBOUNCE_MS,
      rounds: runs,
      median: {
        productCalls: med('product'),
        productLongDebounceCalls: med('productLongDebounce'),
        naiveCalls: med('naive'),
        productOverMinimal: round(med('product') / minimal.total, 3),
        productLongDebounceOverMinimal: round(med('productLongDebounce') / minimal.total, 3),
        naiveOverProduct: round(med('naive') / med('product'), 2),
      },
    };
    const correct = runs.every((x) => order.every((v) => x[v].mismatchedAccounts === 0));
    return {
      params: {
        ...sizes,
        seed: 20_251_121,
        rounds,
        rules: 'examples/rules.json',
        publishChunk: PUBLISH_CHUNK,
        PROVIDER_RATE_LIMIT: 1000,
        simulatorRateLimit: 'off',
      },
      figures,
      goals: [
        {
          goal: 'product calls ≤ 1.05 × minimal (default DEBOUNCE_MS=250)',
          value: `${figures.median.productOverMinimal.toFixed(3)}×`,
          met: figures.median.productOverMinimal <= 1.05,
        },
        {
          goal: `product calls ≤ 1.05 × minimal (DEBOUNCE_MS=${LONG_DEBOUNCE_MS}, longer than the backlog takes to arrive)`,
          value: `${figures.median.productLongDebounceOverMinimal.toFixed(3)}×`,
          met: figures.median.productLongDebounceOverMinimal <= 1.05,
        },
        {
          goal: 'final Yunxin groups equal the independent model, every account, every run',
          value: correct ? 'all equal' : 'differences (see section)',
          met: correct,
        },
      ],
    };
  },
  render(r) {
    const f = r.figures;
    const w = f.workload;
    const m = f.median;
    const first = f.rounds[0]!;
    const equal = (v: Variant) =>
      f.rounds.every((x) => x[v].mismatchedAccounts === 0)
        ? 'yes, all accounts'
        : `no: ${f.rounds.map((x) => x[v].mismatchedAccounts).join(', ')} accounts differ (see the JSON)`;
    const endpoints = (v: Variant) => {
      const b = f.rounds[0]![v].byEndpoint;
      return Object.entries(b)
        .sort()
        .map(([e, n]) => `${e} ${fmt(n)}`)
        .join(', ');
    };
    const types = Object.entries(w.byType)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t.replace('conversation.', '')} ${fmt(n)}`)
      .join(', ');
    return [
      `Workload (seed ${r.params['seed']}): **${fmt(w.accounts)} accounts, ${fmt(w.uniqueEvents)} events** ` +
        `(+${fmt(w.duplicates)} resent with the same id = ${fmt(w.deliveredEvents)} delivered; ${fmt(w.outOfOrder)} delivered late, after up to 2,000 newer events). ` +
        `Zipf-skewed activity (s = 1): the busiest account has ${(w.topAccountShare * 100).toFixed(1)} % of the events, the busiest 1 % of accounts ${(w.top1PercentShare * 100).toFixed(0)} %; ` +
        `${fmt(w.bursts)} bursts of 2–40 events hold ${((w.eventsInBursts / w.uniqueEvents) * 100).toFixed(0)} % of them. Types: ${types}. ` +
        'Rules: `examples/rules.json` (Projects, Customers, Direct messages) plus up to three user folders per account (a tag rule, a muted rule, an include list; renamed and deleted along the way).',
      '',
      `The whole workload is published as fast as \`publishMany\` takes it (chunks of ${fmt(r.params['publishChunk'] as number)}), like a backlog arriving; the run ends when every queue is empty. ` +
        'Provider calls are counted by the simulator (every endpoint, every answer).',
      '',
      `**Minimal** = the calls the product's pure planner makes from an *empty ledger* to the final desired state, where the final facts come from an independent model in \`bench/lib/model.ts\` (last writer wins per attribute by \`at\`, removals hide older facts, ids deduplicated — written from the README contract, not from \`src/facts\`). ` +
        `Cross-checked by formula (per folder needing a group: max(1, ⌈members / 100⌉)): both give ${fmt(f.minimal.planner)} calls for ${fmt(f.minimal.groups)} groups and ${fmt(f.minimal.memberships)} memberships. ` +
        `Plus one list per account: a new account's groups are read before anything is created (first contact, [fleet.md](fleet.md)), so the minimal is **${fmt(f.minimal.total)} calls**.`,
      '',
      table(
        [
          '',
          'provider calls (median)',
          '÷ minimal',
          'by endpoint (first round)',
          'reconciles (first round)',
          'wall time (first round)',
          'final state = model',
        ],
        [
          [
            'minimal',
            fmt(f.minimal.total),
            '1.000',
            `group.list ${fmt(f.minimal.firstContact)}, writes ${fmt(f.minimal.planner)}`,
            `${fmt(w.accounts)} (one per account)`,
            '',
            '',
          ],
          [
            'product, `DEBOUNCE_MS=250` (default)',
            fmt(m.productCalls),
            `**${m.productOverMinimal.toFixed(3)}**`,
            endpoints('product'),
            fmt(first.product.reconciles ?? 0),
            `${first.product.seconds} s`,
            equal('product'),
          ],
          [
            `product, \`DEBOUNCE_MS=${f.longDebounceMs}\``,
            fmt(m.productLongDebounceCalls),
            `**${m.productLongDebounceOverMinimal.toFixed(3)}**`,
            endpoints('productLongDebounce'),
            fmt(first.productLongDebounce.reconciles ?? 0),
            `${first.productLongDebounce.seconds} s`,
            equal('productLongDebounce'),
          ],
          [
            'naive baseline',
            fmt(m.naiveCalls),
            (m.naiveCalls / f.minimal.total).toFixed(3),
            endpoints('naive'),
            `— (${fmt(w.deliveredEvents)} jobs)`,
            `${first.naive.seconds} s`,
            equal('naive'),
          ],
        ],
      ),
      '',
      `**Naive ÷ product (default) = ${m.naiveOverProduct.toFixed(2)}×.** The naive baseline (\`bench/lib/naive.ts\`) is one BullMQ job per event whose handler immediately makes the calls that one event's change needs (create the group if missing, add or remove the conversation, rename, delete), with no coalescing across events. ` +
        'It is generous: it deduplicates ids, applies the same last-writer-wins facts, skips events that change no membership and batches within one event. ' +
        'It lists nothing first, so after Redis lost data it would duplicate every group.',
      '',
      `Why the default reaches ${m.productOverMinimal.toFixed(3)}×: ingest is not instantaneous. Folding the ${fmt(w.deliveredEvents)} events takes seconds, and an account's debounce window (250 ms from its first event) closes while its later events are still arriving. ` +
        "A due reconcile therefore first looks at its account's count of events published and not yet folded: while there are some, it waits (at most `BACKLOG_WAIT_MS`, 5 s), so it plans once on the complete state. " +
        `Without that wait the busiest accounts (the Zipf head) were reconciled early on a partial state and again at the end, 1.13× the minimal calls. Here: ${fmt(first.product.reconciles ?? 0)} reconciles for ${fmt(w.accounts)} accounts. ` +
        `With a window longer than the backlog's arrival (\`DEBOUNCE_MS=${f.longDebounceMs}\`), ${fmt(first.productLongDebounce.reconciles ?? 0)} reconciles made ${m.productLongDebounceOverMinimal.toFixed(3)}× the minimal calls. ` +
        'In a live stream with no backlog the debounce window alone decides: the events of one account within `DEBOUNCE_MS` of its first cost their net change; later ones cost another reconcile. ' +
        'Both product runs use `PROVIDER_RATE_LIMIT=1000` against an unthrottled simulator to keep the run short.',
    ].join('\n');
  },
};
