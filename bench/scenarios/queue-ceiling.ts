/**
 * 1. Queue ceiling: raw BullMQ (addBulk of no-op jobs, a no-op Worker at concurrency 50) against
 * the product's ingest and event processing (publishMany → events worker → Lua fold per event →
 * dirty accounts queued for reconcile), events/s end to end, alternating in the same run.
 */
import { Queue, Worker } from 'bullmq';
import { createRedis } from '../../src/jobs/connection.js';
import { DEFAULT_JOB_OPTIONS, EVENTS_PER_JOB } from '../../src/jobs/queues.js';
import { startBenchEngine } from '../lib/engine.js';
import { fmt, table } from '../lib/markdown.js';
import { benchPrefix, deletePrefix } from '../lib/redis.js';
import type { Scenario } from '../lib/scenario.js';
import { median, round } from '../lib/stats.js';
import { now, waitUntil } from '../lib/time.js';
import { generateWorkload } from '../lib/workload.js';

interface Round {
  round: number;
  raw: { eventsPerSecond: number; addMs: number; totalMs: number };
  product: {
    eventsPerSecond: number;
    publishMs: number;
    totalMs: number;
    jobs: number;
    reconcileJobs: number;
  };
  ratio: number;
}

export interface QueueCeilingFigures {
  events: number;
  rounds: Round[];
  median: { rawEventsPerSecond: number; productEventsPerSecond: number; ratio: number };
}

const RAW_CONCURRENCY = 50;
const RAW_ADD_CHUNK = 1_000;
const PUBLISH_CHUNK = 5_000;

async function rawRound(redisUrl: string, n: number) {
  const prefix = benchPrefix('raw');
  const producer = createRedis(redisUrl, 'worker', () => {});
  const consumer = createRedis(redisUrl, 'worker', () => {});
  const queue = new Queue('raw', { connection: producer, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  let completed = 0;
  const worker = new Worker('raw', async () => {}, {
    connection: consumer,
    prefix,
    concurrency: RAW_CONCURRENCY,
  });
  worker.on('completed', () => completed++);
  await worker.waitUntilReady();
  try {
    const t0 = now();
    for (let i = 0; i < n; i += RAW_ADD_CHUNK) {
      const size = Math.min(RAW_ADD_CHUNK, n - i);
      await queue.addBulk(Array.from({ length: size }, (_, j) => ({ name: 'noop', data: { i: i + j } })));
    }
    const added = now();
    await waitUntil(() => completed >= n, 'raw jobs to complete', 300_000, 5);
    const t1 = now();
    return { eventsPerSecond: n / ((t1 - t0) / 1000), addMs: added - t0, totalMs: t1 - t0 };
  } finally {
    await worker.close();
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
    await deletePrefix(redisUrl, prefix);
  }
}

async function productRound(redisUrl: string, events: readonly unknown[]) {
  let folded = 0;
  let jobs = 0;
  // A long debounce keeps the reconciles queued (delayed) during the measurement: their
  // enqueueing is measured, running them is not part of this metric.
  const engine = await startBenchEngine({
    redisUrl,
    label: 'ceiling',
    env: { DEBOUNCE_MS: '600000' },
    observer: {
      eventsFolded: (r) => {
        folded += r.events;
        jobs++;
      },
    },
  });
  try {
    const t0 = now();
    for (let i = 0; i < events.length; i += PUBLISH_CHUNK) {
      const { refused } = await engine.publish(events.slice(i, i + PUBLISH_CHUNK));
      if (refused.length) throw new Error(`workload event refused: ${JSON.stringify(refused[0])}`);
    }
    const published = now();
    await waitUntil(() => folded >= events.length, 'every event to be folded', 300_000, 5);
    const t1 = now();
    const counts = await engine.reconcile.getJobCounts('delayed', 'waiting');
    return {
      eventsPerSecond: events.length / ((t1 - t0) / 1000),
      publishMs: published - t0,
      totalMs: t1 - t0,
      jobs,
      reconcileJobs: (counts.delayed ?? 0) + (counts.waiting ?? 0),
    };
  } finally {
    await engine.close();
  }
}

export const queueCeiling: Scenario<QueueCeilingFigures> = {
  name: 'queue-ceiling',
  title: '1. Queue ceiling',
  expectedSeconds: { quick: 15, full: 60 },
  async run(ctx) {
    const n = ctx.profile === 'full' ? 50_000 : 20_000;
    const rounds = ctx.profile === 'full' ? 5 : 3;
    const workload = generateWorkload({ seed: 1, accounts: 2_000, events: n, duplicates: 0, outOfOrder: 0 });
    const events = workload.events;
    // warm-up (JIT, connections, Lua script cache): not reported
    await rawRound(ctx.redisUrl, 2_000);
    await productRound(ctx.redisUrl, events.slice(0, 2_000));
    const out: Round[] = [];
    for (let r = 1; r <= rounds; r++) {
      // alternate which goes first, so drift in the machine's load hits both alike
      const first = r % 2 === 1 ? 'raw' : 'product';
      let raw: Round['raw'] | undefined;
      let product: Round['product'] | undefined;
      for (const which of first === 'raw' ? ['raw', 'product'] : ['product', 'raw']) {
        if (which === 'raw') raw = await rawRound(ctx.redisUrl, n);
        else product = await productRound(ctx.redisUrl, events);
      }
      const ratio = product!.eventsPerSecond / raw!.eventsPerSecond;
      out.push({ round: r, raw: raw!, product: product!, ratio });
      ctx.log(
        `round ${r}: raw ${Math.round(raw!.eventsPerSecond)}/s, product ${Math.round(product!.eventsPerSecond)}/s, ratio ${ratio.toFixed(2)}`,
      );
    }
    const figures: QueueCeilingFigures = {
      events: n,
      rounds: out.map((r) => ({
        round: r.round,
        raw: {
          eventsPerSecond: round(r.raw.eventsPerSecond, 0),
          addMs: round(r.raw.addMs, 1),
          totalMs: round(r.raw.totalMs, 1),
        },
        product: {
          eventsPerSecond: round(r.product.eventsPerSecond, 0),
          publishMs: round(r.product.publishMs, 1),
          totalMs: round(r.product.totalMs, 1),
          jobs: r.product.jobs,
          reconcileJobs: r.product.reconcileJobs,
        },
        ratio: round(r.ratio, 3),
      })),
      median: {
        rawEventsPerSecond: round(median(out.map((r) => r.raw.eventsPerSecond)), 0),
        productEventsPerSecond: round(median(out.map((r) => r.product.eventsPerSecond)), 0),
        ratio: round(median(out.map((r) => r.ratio)), 3),
      },
    };
    return {
      params: {
        events: n,
        rounds,
        rawConcurrency: RAW_CONCURRENCY,
        rawAddBulkChunk: RAW_ADD_CHUNK,
        productEventsPerJob: EVENTS_PER_JOB,
        productPublishChunk: PUBLISH_CHUNK,
        productEventConcurrency: 4,
        accounts: 2_000,
      },
      figures,
      goals: [
        {
          goal: 'product events/s ≥ 0.6 × raw no-op jobs/s',
          value: `${figures.median.ratio.toFixed(2)}×`,
          met: figures.median.ratio >= 0.6,
        },
      ],
    };
  },
  render(r) {
    const f = r.figures;
    return [
      `${f.events.toLocaleString('en')} events per round, ${f.rounds.length} rounds alternating which side goes first; medians over rounds.`,
      '',
      table(
        ['', 'events/s (median)', 'what is measured'],
        [
          [
            'raw BullMQ',
            fmt(f.median.rawEventsPerSecond),
            `\`addBulk\` of ${f.events.toLocaleString('en')} no-op jobs (chunks of ${r.params['rawAddBulkChunk']}), one no-op \`Worker\` at concurrency ${r.params['rawConcurrency']}; first add → last completion`,
          ],
          [
            'product',
            fmt(f.median.productEventsPerSecond),
            `\`publishMany\` (validation, ${r.params['productEventsPerJob']} events per job) → events worker (\`EVENT_CONCURRENCY\`=4): one Lua fold per event in one pipeline per job, dirty accounts queued for reconcile; first publish → last event folded`,
          ],
          ['**ratio**', `**${f.median.ratio.toFixed(2)}×**`, 'goal ≥ 0.6'],
        ],
      ),
      '',
      table(
        ['round', 'raw events/s', 'product events/s', 'ratio', 'product publish ms', 'reconcile jobs queued'],
        f.rounds.map((x) => [
          String(x.round),
          fmt(x.raw.eventsPerSecond),
          fmt(x.product.eventsPerSecond),
          x.ratio.toFixed(2),
          fmt(x.product.publishMs),
          fmt(x.product.reconcileJobs),
        ]),
      ),
      '',
      'Not the same unit of work on both sides, by design: a raw job is one no-op event, while the product packs ' +
        `${r.params['productEventsPerJob']} events into one job and folds each with a Lua script (dedup marker, last-writer-wins facts, account registry) before queueing one deduplicated, debounced reconcile job per dirty account. ` +
        'The product side runs with `DEBOUNCE_MS=600000` so the queued reconciles stay delayed and do not compete for the CPU; running them is measured in the other benchmarks. ' +
        'The workload is the API-economy generator (2,000 Zipf-skewed accounts) without duplicates or late events. ' +
        "Both sides run in the bench process against the machine's Redis. For scale: on a quiet machine of this kind (2 cores, Redis 7.0.15, BullMQ 6.7.0) the project's package notes measured `addBulk` alone at 22–25k jobs/s and one no-op Worker alone at 14–16k jobs/s; adding and processing at once on a shared machine gives less, which is why the same-run ratio is the figure to read.",
    ].join('\n');
  },
};
