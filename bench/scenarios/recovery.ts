/**
 * 11. Recovery from crashed workers (issue 16): the reliability suite's faults — SIGKILLs of
 * worker processes, apply-then-stall creates, random 416s — on a workload whose calls take about
 * 10 s at the rate limit. Time to converge with the workers of the commit before issue 16
 * (`BEFORE_REF`, built in a worktree of its own) and of this checkout, alternating, in one run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { JOB_NAMES } from '../../src/jobs/queues.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import { type BenchEngine, ROOT, resyncRequestsLeft, startBenchEngine } from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import { CLI, startWorkerProcess, type WorkerProcess } from '../lib/processes.js';
import type { Scenario } from '../lib/scenario.js';
import { seedAccounts } from '../lib/seed.js';
import { median, round } from '../lib/stats.js';
import { now, sleep, waitUntil } from '../lib/time.js';

/** The last commit before worker liveness and adaptive timeouts. */
const BEFORE_REF = process.env.BENCH_BEFORE_REF ?? '89a8549';
const RATE = 20;
const ACCOUNTS = 50;
/** SIGKILLs, seconds after the resync starts: each worker once, each replaced at once */
const KILLS_AT_S = [3, 6];

type Variant = 'before' | 'after';

interface RecoveryRun {
  variant: Variant;
  seconds: number;
  idealSeconds: number;
  calls: number;
  minimalCalls: number;
  stalled: number;
  rateLimited: number;
  duplicates: number;
}

export interface RecoveryFigures {
  runs: RecoveryRun[];
  median: Record<Variant, number>;
}

/** The commit before issue 16, built once under ~/.cache (dependencies from this checkout). */
function beforeCli(log: (m: string) => void): string {
  const dir = join(homedir(), '.cache/yunxin-folder-sync', `bench-before-${BEFORE_REF}`);
  if (!existsSync(join(dir, 'dist/store/lua'))) {
    log(`building ${BEFORE_REF} in ${dir}`);
    if (!existsSync(dir)) execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', dir, BEFORE_REF]);
    if (!existsSync(join(dir, 'node_modules')))
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: dir,
      },
    );
  }
  return join(dir, 'bin/folder-sync.js');
}

/** The old workers read the per-provider names; this checkout reads PROVIDER_… (and the old names too). */
function workerEnv(engine: BenchEngine, variant: Variant): NodeJS.ProcessEnv {
  const env = engine.workerEnv({ PROVIDER_RATE_LIMIT: String(RATE), LOG_LEVEL: 'warn' });
  if (variant === 'after') return env;
  return {
    ...env,
    YUNXIN_ENDPOINT: engine.sim.url,
    YUNXIN_APP_KEY: DEMO_APP.appKey,
    YUNXIN_APP_SECRET: DEMO_APP.appSecret,
    YUNXIN_RATE_LIMIT: String(RATE),
    YUNXIN_TIMEOUT_MS: '10000',
  };
}

async function converged(engine: BenchEngine): Promise<boolean> {
  const m = await engine.maintenance.getJobCounts('completed');
  if ((m.completed ?? 0) < 1) return false;
  const c = await engine.reconcile.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  if (Object.values(c).some((x) => x > 0)) return false;
  return (await resyncRequestsLeft(engine)) === 0;
}

const duplicatesOf = (engine: BenchEngine, accounts: readonly string[]) =>
  accounts.reduce((n, a) => {
    const names = engine.groups(a).map((g) => g.name);
    return n + names.length - new Set(names).size;
  }, 0);

async function oneRun(redisUrl: string, variant: Variant, cli: string): Promise<RecoveryRun> {
  const engine = await startBenchEngine({
    redisUrl,
    label: `recovery-${variant}`,
    workers: false,
    env: { PROVIDER_RATE_LIMIT: String(RATE) },
    sim: { rateLimit: { perSecond: RATE } },
  });
  const workers: WorkerProcess[] = [];
  try {
    await seedAccounts(engine.redis, engine.keys, {
      accounts: ACCOUNTS,
      conversations: 20,
      accountPrefix: 'rec',
      onEvents: engine.seedConversations,
    });
    const env = workerEnv(engine, variant);
    for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(env, cli));
    engine.sim.setFaults({ stallRate: 0.05, stallMs: 15_000, rateLimitRate: 0.02, latencyMs: 20 });
    const t0 = now();
    await engine.maintenance.add(JOB_NAMES.resyncAll, {});
    for (const [i, at] of KILLS_AT_S.entries()) {
      await sleep(Math.max(0, at * 1000 - (now() - t0)));
      await workers[i]!.kill();
      workers[i] = await startWorkerProcess(env, cli);
    }
    await waitUntil(() => converged(engine), 'convergence', 600_000, 50);
    const seconds = (now() - t0) / 1000;
    const stats = engine.sim.calls.snapshot();
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `rec${i}`);
    const groups = accounts.reduce((n, a) => n + engine.groups(a).length, 0);
    // one read-back and one create per group for each account: the fewest calls there are
    const minimalCalls = ACCOUNTS + groups;
    return {
      variant,
      seconds: round(seconds, 1),
      idealSeconds: round(minimalCalls / RATE, 1),
      calls: stats.total,
      minimalCalls,
      stalled: stats.stalled ?? 0,
      rateLimited: stats.rateLimited,
      duplicates: duplicatesOf(engine, accounts),
    };
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await engine.close();
  }
}

export const recovery: Scenario<RecoveryFigures> = {
  name: 'recovery',
  title: '11. Recovery from crashed workers',
  expectedSeconds: { quick: 200, full: 400 },
  async run(ctx) {
    const order: Variant[] =
      ctx.profile === 'full' ? ['before', 'after', 'before', 'after'] : ['before', 'after'];
    const clis: Record<Variant, string> = { before: beforeCli(ctx.log), after: CLI };
    const runs: RecoveryRun[] = [];
    for (const variant of order) {
      const r = await oneRun(ctx.redisUrl, variant, clis[variant]);
      runs.push(r);
      ctx.log(
        `${variant}: converged in ${r.seconds} s (ideal ${r.idealSeconds} s), ${r.stalled} stalled answers`,
      );
    }
    const med = (v: Variant) => median(runs.filter((r) => r.variant === v).map((r) => r.seconds));
    const after = runs.filter((r) => r.variant === 'after');
    // each stalled answer may cost one timeout: with adaptive timeouts about the 1 s floor
    const allowed = (r: RecoveryRun) => 3 * r.idealSeconds + r.stalled;
    return {
      params: {
        BEFORE_REF,
        rate: RATE,
        accounts: ACCOUNTS,
        conversationsPerAccount: 20,
        killsAtSeconds: KILLS_AT_S,
        order,
      },
      figures: { runs, median: { before: med('before'), after: med('after') } },
      goals: [
        {
          goal: 'converge ≤ 3 × ideal + the provider timeouts hit (1 s each), after',
          value: after.map((r) => `${r.seconds} s ≤ ${round(allowed(r), 1)} s`).join('; '),
          met: after.every((r) => r.seconds <= allowed(r)),
        },
        {
          goal: 'no duplicate group',
          value: `${runs.reduce((n, r) => n + r.duplicates, 0)} duplicates`,
          met: runs.every((r) => r.duplicates === 0),
        },
      ],
    };
  },
  render(r) {
    const f = r.figures;
    return [
      `${fmt(ACCOUNTS)} accounts × 20 conversations (seeded as in Scale), then \`resync --all\` under two \`folder-sync worker\` processes sharing R = ${RATE} calls/s. Faults as in the reliability suite: 5 % of group creates apply and then stall 15 s, 2 % of calls answer 416, 20 ms latency; worker 1 is SIGKILLed ${KILLS_AT_S[0]} s after the start and worker 2 at ${KILLS_AT_S[1]} s, each replaced at once. "before" runs the workers of \`${r.params['BEFORE_REF']}\` (lease 30 s, BullMQ lock and stalled check 30 s, fixed 10 s provider timeout), "after" this checkout's (heartbeat takeover, LOCK_MS 3 s, adaptive timeouts); run order ${(r.params['order'] as string[]).join(', ')}.`,
      '',
      table(
        [
          'run',
          'converged in',
          'ideal (fewest calls ÷ R)',
          '× ideal',
          'calls (fewest)',
          'stalled answers',
          '416s',
          'duplicates',
        ],
        f.runs.map((x) => [
          x.variant,
          `${x.seconds} s`,
          `${x.idealSeconds} s`,
          `${(x.seconds / x.idealSeconds).toFixed(1)}×`,
          `${fmt(x.calls)} (${fmt(x.minimalCalls)})`,
          String(x.stalled),
          String(x.rateLimited),
          String(x.duplicates),
        ]),
      ),
      '',
      `Median: before **${f.median.before} s**, after **${f.median.after} s** (${(f.median.before / f.median.after).toFixed(1)}× faster).`,
    ].join('\n');
  },
};
