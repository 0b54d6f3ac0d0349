/**
 * 9. Cost per change: the CPU one event's reconcile costs on an account of 1k, 10k and 100k
 * conversations, evaluating every conversation ("before": `evaluation: 'full'`, used only here
 * and by tests) and only the changed ones with the kept evaluation ("after", the default).
 * In-process against the machine's Redis and an in-memory provider (no HTTP, so the figure is
 * the reconcile's own CPU, Redis client included), with the event-loop delay watched throughout.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { defaultValidation } from '../../src/events/validate.js';
import { encodeRecord } from '../../src/facts/record.js';
import { createRedis } from '../../src/jobs/connection.js';
import { createLogger } from '../../src/log.js';
import { type ReconcileDeps, reconcileAccount } from '../../src/reconcile/reconcile.js';
import { loadRulesFile } from '../../src/rules/load.js';
import { AccountStore } from '../../src/store/account-store.js';
import { DEFAULT_PARTITIONS, keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { foldEvents } from '../../src/workers/fold-events.js';
import { FakeProvider } from '../../test/support/fake-provider.js';
import { RULES } from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import { benchPrefix, deletePrefix } from '../lib/redis.js';
import type { Scenario } from '../lib/scenario.js';
import { median, round } from '../lib/stats.js';

const AT = 1_763_700_000_000;

export interface CostPoint {
  conversations: number;
  runs: number;
  /** median CPU ms (user + system) of one reconcile */
  fullCpuMs: number;
  incrementalCpuMs: number;
  fullWallMs: number;
  incrementalWallMs: number;
  /** the longest the event loop was held during the incremental runs */
  incrementalMaxLoopDelayMs: number;
  fullMaxLoopDelayMs: number;
  /** kept evaluation of the account, bytes (MEMORY USAGE) */
  evaluationBytes: number;
}

/** The busy-worker test's account shape, written as the fold writes records. */
async function seed(store: AccountStore, account: string, size: number): Promise<void> {
  const { redis, keys } = store;
  for (let start = 0; start < size; start += 10_000) {
    const fields: string[] = [];
    for (let i = start; i < Math.min(size, start + 10_000); i++) {
      const at = AT + i;
      const registers = [
        { name: 'p', at, tiebreak: i, payload: '1' },
        { name: 'akind', at, tiebreak: i, payload: i % 3 ? '"project"' : '"chat"' },
      ];
      if (i % 2) registers.push({ name: 'apinned', at, tiebreak: i, payload: 'true' });
      if (i % 7 === 0) registers.push({ name: 'tcustomer', at, tiebreak: i, payload: '1' });
      fields.push(`2|t${i}`, encodeRecord(registers));
    }
    await redis.hset(keys.facts(account), ...fields);
  }
  await redis.hset(keys.counts(account), 'c', size, 'n', size);
}

async function measure(
  size: number,
  runs: number,
  redisUrl: string,
  log: (m: string) => void,
): Promise<CostPoint> {
  const prefix = benchPrefix('cost');
  const keys = keysFor(prefix, DEFAULT_PARTITIONS);
  const redis = withScripts(createRedis(redisUrl, 'worker', () => {}));
  const store = new AccountStore(redis, keys);
  const { rules } = await loadRulesFile(RULES);
  const provider = new FakeProvider();
  const account = `big${size}`;
  const deps = (evaluation: 'auto' | 'full'): ReconcileDeps => ({
    store,
    provider,
    gate: { succeeded: async () => {}, rateLimited: async () => 1 },
    rules: async () => ({ folders: rules.folders, generation: undefined }),
    epoch: async () => 'bench-epoch',
    now: () => Date.now(),
    random: Math.random,
    retry: { baseMs: 100, maxMs: 1000 },
    log: createLogger({ level: 'silent', name: 'bench' }),
    evaluation,
  });
  let seq = 0;
  /** one event: a conversation somewhere in the account tagged, newer than anything */
  const oneEvent = () =>
    foldEvents(
      redis,
      keys,
      [
        {
          id: `ev-${++seq}`,
          type: 'conversation.tagged',
          account,
          at: AT + size + seq,
          conversation: { type: 2, target: `t${(seq * 7919) % size}` },
          tag: seq % 2 ? 'customer' : 'other',
        },
      ],
      {
        validation: defaultValidation(AT + size + 1e6),
        accountLimits: { conversations: 1e9, userFolders: 50 },
      },
    );
  const timed = async (mode: 'auto' | 'full') => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await reconcileAccount(account, deps(mode));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    h.disable();
    if (out.status !== 'done') throw new Error(`reconcile ${out.status}`);
    return { cpu: (cpu.user + cpu.system) / 1000, wall, loop: h.max / 1e6 };
  };
  try {
    await seed(store, account, size);
    await reconcileAccount(account, deps('auto')); // first contact: read back, create, keep the evaluation
    for (const mode of ['full', 'auto'] as const) {
      await oneEvent(); // warm-up of both paths (JIT), not measured; 'auto' last keeps the evaluation
      await reconcileAccount(account, deps(mode));
    }
    const incremental: Array<Awaited<ReturnType<typeof timed>>> = [];
    for (let i = 0; i < runs; i++) {
      await oneEvent();
      incremental.push(await timed('auto'));
    }
    const evaluationBytes = Number(
      (await redis.call('MEMORY', 'USAGE', keys.evaluation(account), 'SAMPLES', '0')) ?? 0,
    );
    const full: typeof incremental = [];
    for (let i = 0; i < runs; i++) {
      await oneEvent();
      full.push(await timed('full'));
    }
    const point: CostPoint = {
      conversations: size,
      runs,
      fullCpuMs: round(median(full.map((r) => r.cpu)), 1),
      incrementalCpuMs: round(median(incremental.map((r) => r.cpu)), 1),
      fullWallMs: round(median(full.map((r) => r.wall)), 1),
      incrementalWallMs: round(median(incremental.map((r) => r.wall)), 1),
      incrementalMaxLoopDelayMs: round(Math.max(...incremental.map((r) => r.loop)), 1),
      fullMaxLoopDelayMs: round(Math.max(...full.map((r) => r.loop)), 1),
      evaluationBytes,
    };
    log(
      `${fmt(size)} conversations: full ${point.fullCpuMs} ms CPU, incremental ${point.incrementalCpuMs} ms CPU (median of ${runs})`,
    );
    return point;
  } finally {
    await deletePrefix(redisUrl, prefix);
    redis.disconnect();
  }
}

export const reconcileCost: Scenario<{ points: CostPoint[] }> = {
  name: 'reconcile-cost',
  title: '9. Cost per change',
  expectedSeconds: { quick: 30, full: 120 },
  async run(ctx) {
    const sizes = [1_000, 10_000, 100_000];
    const runs = ctx.profile === 'full' ? 9 : 5;
    const points: CostPoint[] = [];
    for (const size of sizes) points.push(await measure(size, runs, ctx.redisUrl, ctx.log));
    const big = points.at(-1)!;
    return {
      params: {
        sizes,
        runs,
        rules: 'examples/rules.json',
        provider: 'in-memory (test/support/fake-provider.ts)',
      },
      figures: { points },
      goals: [
        {
          goal: 'one-event reconcile ≤ 50 ms CPU at 100k conversations',
          value: `${big.incrementalCpuMs} ms (before: ${fmt(big.fullCpuMs)} ms)`,
          met: big.incrementalCpuMs <= 50,
        },
      ],
    };
  },
  render(r) {
    const pts = r.figures.points;
    return [
      "One account of N conversations in the busy-worker test's shape (every conversation a team; two in three `kind: project`, every second pinned, every seventh tagged `customer`: Projects and Customers are far over Yunxin's 1,000 per group), " +
        "rules `examples/rules.json`. After its first reconcile, one `conversation.tagged` event is folded (the product's fold) and the account reconciled, in the bench process against an in-memory provider: CPU is `process.cpuUsage()` of that reconcile (Redis client included, Redis server not). " +
        `"Before" forces a full evaluation (\`evaluation: 'full'\`); "after" is the default, which evaluates the changed conversation against the kept evaluation — an account under 2,000 conversations (\`KEEP_EVALUATION_FROM\`) keeps none and is evaluated in full both times. Median of ${r.figures.points[0]?.runs ?? '?'} events each, after one unmeasured warm-up of each path.`,
      '',
      table(
        [
          'conversations',
          'before: CPU / wall',
          'after: CPU / wall',
          'event loop held at most (before → after)',
          'kept evaluation in Redis',
        ],
        pts.map((p) => [
          fmt(p.conversations),
          `${fmt(p.fullCpuMs, 1)} ms / ${fmt(p.fullWallMs, 1)} ms`,
          `**${fmt(p.incrementalCpuMs, 1)} ms** / ${fmt(p.incrementalWallMs, 1)} ms`,
          `${fmt(p.fullMaxLoopDelayMs, 1)} → ${fmt(p.incrementalMaxLoopDelayMs, 1)} ms`,
          `${fmt(Math.round(p.evaluationBytes / 1024))} KiB`,
        ]),
      ),
    ].join('\n');
  },
};
