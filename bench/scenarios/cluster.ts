/**
 * 10. Redis Cluster: the same backlog on one redis-server and on a 3-master cluster (both the
 * bench's own), with 1 and 2 `folder-sync worker` processes: events folded per second through
 * BullMQ, then a `resync --all` (accounts reconciled per second), with the simulator
 * unthrottled; and where the deployment's keys sit, master by master.
 */
import { RedisCluster } from '../../scripts/redis-cluster.js';
import { JOB_NAMES } from '../../src/jobs/queues.js';
import { type BenchEngine, resyncRequestsLeft, startBenchEngine } from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import { processCpuSeconds as cpuSeconds, startWorkerProcess, type WorkerProcess } from '../lib/processes.js';
import { startOwnRedis } from '../lib/redis.js';
import type { Scenario } from '../lib/scenario.js';
import { accountEvents } from '../lib/seed.js';
import { median, round } from '../lib/stats.js';
import { now, waitUntil } from '../lib/time.js';

type Setup = 'single' | 'cluster';

interface ClusterRun {
  setup: Setup;
  processes: number;
  accounts: number;
  events: number;
  foldSeconds: number;
  eventsPerSecond: number;
  resyncSeconds: number;
  accountsPerSecond: number;
  workerCpuSeconds: number[];
  /** keys of the deployment on each master (one entry for a single Redis) */
  keysPerMaster: number[];
}

export interface ClusterFigures {
  runs: ClusterRun[];
  median: Record<Setup, Record<'one' | 'two', { eventsPerSecond: number; accountsPerSecond: number }>>;
}

const idle = async (engine: BenchEngine, queue: 'events' | 'reconcile') => {
  const c = await engine[queue].getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(c).every((x) => x === 0);
};

async function keysPerMaster(engine: BenchEngine, cluster: RedisCluster | undefined): Promise<number[]> {
  if (cluster) return cluster.keysPerNode();
  return [await (engine.redis as { dbsize(): Promise<number> }).dbsize()];
}

async function oneRun(
  target: { url: string; cluster?: RedisCluster },
  processes: number,
  accounts: number,
): Promise<ClusterRun> {
  const engine = await startBenchEngine({
    redisUrl: target.url,
    ...(target.cluster ? { clusterNodes: target.cluster.nodes } : {}),
    label: 'cluster',
    workers: false,
    env: { PROVIDER_RATE_LIMIT: '1000000' },
  });
  const workers: WorkerProcess[] = [];
  try {
    const startAt = Date.now() - 86_400_000;
    const events = Array.from({ length: accounts }, (_, i) => accountEvents(`acct${i}`, 20, startAt)).flat();
    for (let i = 0; i < events.length; i += 5_000) await engine.publish(events.slice(i, i + 5_000));
    // every process up before the clock starts: the backlog waits in paused queues till then
    await Promise.all(engine.events.queues.map((q) => q.pause()));
    for (let i = 0; i < processes; i++) workers.push(await startWorkerProcess(engine.workerEnv()));
    const cpu0 = workers.map((w) => cpuSeconds(w.pid));
    const t0 = now();
    await Promise.all(engine.events.queues.map((q) => q.resume()));
    await waitUntil(() => idle(engine, 'events'), 'the events backlog folded', 900_000, 50);
    const foldSeconds = (now() - t0) / 1000;
    await waitUntil(() => idle(engine, 'reconcile'), 'the first reconciles', 900_000, 50);
    const t1 = now();
    await engine.maintenance.add(JOB_NAMES.resyncAll, {});
    await waitUntil(
      async () =>
        ((await engine.maintenance.getJobCounts('completed')).completed ?? 0) >= 1 &&
        (await idle(engine, 'reconcile')) &&
        (await resyncRequestsLeft(engine)) === 0,
      'the resync of every account',
      900_000,
      50,
    );
    const resyncSeconds = (now() - t1) / 1000;
    return {
      setup: target.cluster ? 'cluster' : 'single',
      processes,
      accounts,
      events: events.length,
      foldSeconds: round(foldSeconds, 2),
      eventsPerSecond: round(events.length / foldSeconds, 0),
      resyncSeconds: round(resyncSeconds, 2),
      accountsPerSecond: round(accounts / resyncSeconds, 1),
      workerCpuSeconds: workers.map((w, i) => round(cpuSeconds(w.pid) - cpu0[i]!, 1)),
      keysPerMaster: await keysPerMaster(engine, target.cluster),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await engine.close();
  }
}

export const cluster: Scenario<ClusterFigures> = {
  name: 'cluster',
  title: '10. Redis Cluster',
  expectedSeconds: { quick: 150, full: 400 },
  async run(ctx) {
    const accounts = ctx.profile === 'full' ? 4_000 : 1_500;
    const order = ctx.profile === 'full' ? [1, 2, 2, 1] : [1, 2];
    const single = await startOwnRedis();
    const redisCluster = await RedisCluster.start();
    const runs: ClusterRun[] = [];
    try {
      for (const p of order) {
        for (const target of [
          { url: single.url },
          { url: 'redis://127.0.0.1:6379', cluster: redisCluster },
        ]) {
          const r = await oneRun(target, p, accounts);
          runs.push(r);
          ctx.log(
            `${r.setup}, ${p} process${p > 1 ? 'es' : ''}: fold ${r.eventsPerSecond} events/s, resync ${r.accountsPerSecond} accounts/s, keys ${r.keysPerMaster.join('/')}`,
          );
        }
      }
    } finally {
      await redisCluster.stop();
      await single.stop();
    }
    const med = (setup: Setup, processes: number) => {
      const mine = runs.filter((r) => r.setup === setup && r.processes === processes);
      return {
        eventsPerSecond: median(mine.map((r) => r.eventsPerSecond)),
        accountsPerSecond: median(mine.map((r) => r.accountsPerSecond)),
      };
    };
    const figures: ClusterFigures = {
      runs,
      median: {
        single: { one: med('single', 1), two: med('single', 2) },
        cluster: { one: med('cluster', 1), two: med('cluster', 2) },
      },
    };
    const spread = runs
      .filter((r) => r.setup === 'cluster')
      .map((r) => Math.min(...r.keysPerMaster) / Math.max(...r.keysPerMaster));
    return {
      params: {
        accounts,
        order,
        conversationsPerAccount: 20,
        masters: 3,
        partitions: 16,
        WORKER_CONCURRENCY: 16,
      },
      figures,
      goals: [
        {
          goal: 'every master holds a fair share of the keys (smallest ≥ half the largest)',
          value: spread.map((s) => round(s, 2)).join(', '),
          met: spread.every((s) => s >= 0.5),
        },
      ],
      notes: [],
    };
  },
  render(r) {
    const f = r.figures;
    const row = (setup: Setup, p: 'one' | 'two') => [
      setup === 'single' ? '1 redis-server' : '3-master cluster',
      p === 'one' ? '1' : '2',
      `**${fmt(f.median[setup][p].eventsPerSecond)}**`,
      `**${fmt(f.median[setup][p].accountsPerSecond, 1)}**`,
    ];
    const clusterKeys = f.runs.filter((x) => x.setup === 'cluster').map((x) => x.keysPerMaster.join(' / '));
    return [
      `Backlog: ${fmt(r.params['accounts'] as number)} accounts × 20 conversations (${fmt(f.runs[0]!.events)} events) published through BullMQ before the workers start, then \`resync --all\`; 1 or 2 \`folder-sync worker\` processes (\`WORKER_CONCURRENCY=16\`, 16 partitions), the simulator unthrottled; run order ${(r.params['order'] as number[]).join(', ')} processes, each on a fresh redis-server and on a fresh 3-master cluster (\`scripts/redis-cluster.ts\`), both started by the bench.`,
      '',
      table(
        ['Redis', 'processes', 'fold events/s (median)', 'resync accounts/s (median)'],
        [row('single', 'one'), row('single', 'two'), row('cluster', 'one'), row('cluster', 'two')],
      ),
      '',
      `Keys per master at the end of each cluster run: ${clusterKeys.join('; ')}. Every run: ${f.runs
        .map(
          (x) =>
            `${x.setup} ×${x.processes}: ${fmt(x.eventsPerSecond)} events/s, ${fmt(x.accountsPerSecond, 1)} accounts/s, worker CPU ${x.workerCpuSeconds.join(' + ')} s`,
        )
        .join('; ')}.`,
      '',
      `This machine has ${r.machine.cpus} cores shared by the workers, the three masters, the simulator and the bench (load ${r.loadAverage.start} → ${r.loadAverage.end}): the cluster's gain here is capacity (memory and connections spread over the masters), not speed — on one machine its masters compete for the same cores. Each master holds about a third of the keys, and so serves about a third of the commands; on separate hosts that is a third of the load each (not measured here).`,
    ].join('\n');
  },
};
