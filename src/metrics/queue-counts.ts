import type { Queue } from 'bullmq';

/** The job states the queue-depth gauge reports. */
export const JOB_STATES = ['waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobCounts = Record<JobState, number>;

/**
 * Job counts by queue name, summed over the queue's partitions. A read costs a round trip per
 * queue and partition (up to 2 × 1,024 + 1), so one read answers every scrape for `maxAgeMs`
 * (several Prometheus replicas, both gauges of one scrape), and scrapes that come while a read is
 * under way wait for it rather than start another.
 */
export class QueueCounts {
  private last: { at: number; counts: ReadonlyMap<string, JobCounts> } | undefined;
  private reading: Promise<ReadonlyMap<string, JobCounts>> | undefined;

  constructor(
    private readonly queues: readonly Queue[],
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<ReadonlyMap<string, JobCounts>> {
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return this.last.counts;
    this.reading ??= this.fetch().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async fetch(): Promise<ReadonlyMap<string, JobCounts>> {
    const at = this.now();
    const all = await Promise.all(this.queues.map((q) => q.getJobCounts(...JOB_STATES)));
    const sums = new Map<string, JobCounts>();
    all.forEach((counts, i) => {
      const name = this.queues[i]!.name;
      const sum = sums.get(name) ?? (Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts);
      for (const state of JOB_STATES) sum[state] += counts[state] ?? 0;
      sums.set(name, sum);
    });
    this.last = { at, counts: sums };
    return sums;
  }
}
