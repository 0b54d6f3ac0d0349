/**
 * 3. Quota use: the simulator limits at R calls/s, the product runs with PROVIDER_RATE_LIMIT = R
 * and a backlog of accounts to sync; from the simulator's call log: peak calls in any 1-second
 * window, 416 answers, and the mean rate over the busy period.
 */
import { type BenchProvider, type SimCallStats, startBenchEngine } from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import type { Scenario } from '../lib/scenario.js';
import { median, round } from '../lib/stats.js';

export interface QuotaRun {
  accounts: number;
  calls: number;
  rateLimited: number;
  peakPerSecond: number;
  meanPerSecond: number;
  busySeconds: number;
}

export interface QuotaFigures {
  rate: number;
  runs: QuotaRun[];
  median: { peakPerSecond: number; meanPerSecond: number; meanOverRate: number; rateLimited: number };
}

/** Three folders per account (one create each): a p2p chat, a customer, a pinned project. */
export function threeFolderEvents(account: string, at: number): unknown[] {
  return [
    {
      id: `${account}-1`,
      type: 'conversation.upserted',
      account,
      at,
      conversation: { type: 1, target: 'friend' },
      attributes: {},
    },
    {
      id: `${account}-2`,
      type: 'conversation.tagged',
      account,
      at: at + 1,
      conversation: { type: 2, target: 'acme' },
      tag: 'customer',
    },
    {
      id: `${account}-3`,
      type: 'conversation.upserted',
      account,
      at: at + 2,
      conversation: { type: 2, target: 'apollo' },
      attributes: { kind: 'project', pinned: true },
    },
  ];
}

/** The figures the issue asks for, from the simulator's call statistics. */
export function quotaOf(stats: SimCallStats): Omit<QuotaRun, 'accounts'> {
  const busy = ((stats.lastCallAt ?? 0) - (stats.firstCallAt ?? 0)) / 1000;
  return {
    calls: stats.total,
    rateLimited: stats.rateLimited,
    peakPerSecond: stats.peakPerSecond,
    // n calls span n − 1 intervals
    meanPerSecond: busy > 0 ? (stats.total - 1) / busy : 0,
    busySeconds: busy,
  };
}

/** A backlog of `accounts` × 3 creates against a simulator limiting at R, with the product at R. */
export async function runQuota(
  redisUrl: string,
  provider: BenchProvider,
  R: number,
  accounts: number,
): Promise<QuotaRun> {
  const engine = await startBenchEngine({
    redisUrl,
    label: 'quota',
    provider,
    env: { PROVIDER_RATE_LIMIT: String(R) },
    sim: { rateLimit: { perSecond: R } },
  });
  try {
    const events = Array.from({ length: accounts }, (_, i) =>
      threeFolderEvents(`quota-${i}`, 1_763_700_000_000 + i * 10),
    ).flat();
    await engine.publish(events);
    await engine.idle();
    return { accounts, ...quotaOf(engine.sim.calls.snapshot()) };
  } finally {
    await engine.close();
  }
}

export const quota: Scenario<QuotaFigures> = {
  name: 'quota',
  title: '3. Quota use',
  expectedSeconds: { quick: 15, full: 80 },
  async run(ctx) {
    const R = 50;
    const accounts = ctx.profile === 'full' ? 400 : 200;
    const runs = ctx.profile === 'full' ? 3 : 1;
    const out: QuotaRun[] = [];
    for (let r = 0; r < runs; r++) {
      const q = await runQuota(ctx.redisUrl, 'yunxin', R, accounts);
      out.push(q);
      ctx.log(
        `run ${r + 1}: ${q.calls} calls in ${q.busySeconds.toFixed(1)} s, peak ${q.peakPerSecond}/s, mean ${q.meanPerSecond.toFixed(1)}/s, ${q.rateLimited} × 416`,
      );
    }
    const med = {
      peakPerSecond: median(out.map((x) => x.peakPerSecond)),
      meanPerSecond: round(median(out.map((x) => x.meanPerSecond)), 2),
      meanOverRate: round(median(out.map((x) => x.meanPerSecond)) / R, 3),
      rateLimited: Math.max(...out.map((x) => x.rateLimited)),
    };
    const maxPeak = Math.max(...out.map((x) => x.peakPerSecond));
    return {
      params: { R, accounts, runs, callsPerAccount: 3, WORKER_CONCURRENCY: 16, DEBOUNCE_MS: 250 },
      figures: {
        rate: R,
        runs: out.map((x) => ({
          ...x,
          meanPerSecond: round(x.meanPerSecond, 2),
          busySeconds: round(x.busySeconds, 2),
        })),
        median: med,
      },
      goals: [
        {
          goal: `peak calls in any 1 s window ≤ R (R = ${R})`,
          value: `${maxPeak} (max of runs)`,
          met: maxPeak <= R,
        },
        {
          goal: '416 answers with PROVIDER_RATE_LIMIT = R',
          value: String(med.rateLimited),
          met: med.rateLimited === 0,
        },
        {
          goal: 'mean rate ≥ 0.9 R',
          value: `${med.meanPerSecond} /s = ${med.meanOverRate.toFixed(3)} R`,
          met: med.meanOverRate >= 0.9,
        },
      ],
    };
  },
  render(r) {
    const f = r.figures;
    return [
      `The simulator answers 416 beyond **R = ${f.rate} calls/s** (a token bucket per endpoint, burst = R); the workers run with \`PROVIDER_RATE_LIMIT=${f.rate}\`. ` +
        `Backlog: ${fmt(r.params['accounts'] as number)} accounts published at once, each needing 3 group creates (${fmt((r.params['accounts'] as number) * 3)} calls, one endpoint, so the per-endpoint bucket is the binding limit). ` +
        'Peak = most calls the simulator received in any sliding 1-second window; mean = (calls − 1) / (last call − first call).',
      '',
      table(
        ['run', 'calls', 'busy period', 'peak in any 1 s', '416s', 'mean rate', 'mean ÷ R'],
        f.runs.map((x, i) => [
          String(i + 1),
          fmt(x.calls),
          `${x.busySeconds.toFixed(1)} s`,
          String(x.peakPerSecond),
          String(x.rateLimited),
          `${x.meanPerSecond.toFixed(1)} /s`,
          (x.meanPerSecond / f.rate).toFixed(3),
        ]),
      ),
      '',
      `The shared limiter spaces calls 1050 ms / R apart (${(1050 / f.rate).toFixed(1)} ms), on Redis's clock, so timer jitter cannot squeeze R + 1 calls into a second: the mean can reach at most 1000 / 1050 = 0.952 R by design. ` +
        'The 2-process variant (the budget shared across processes) is in Scale-out below.',
    ].join('\n');
  },
};
