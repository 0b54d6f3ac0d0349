import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { QueueCounts } from '../../src/metrics/queue-counts.js';

/** A queue of `name` whose every count is `n`, counting the reads it answers. */
function fakeQueue(name: string, n: number, reads: { count: number }) {
  return {
    name,
    getJobCounts: async (...states: string[]) => {
      reads.count++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return Object.fromEntries(states.map((s) => [s, n]));
    },
  } as unknown as Queue;
}

describe('queue counts for the metrics', () => {
  it("sum a queue's partitions, and read Redis once per max age however many scrapes ask", async () => {
    const reads = { count: 0 };
    let now = 0;
    const queues = [
      fakeQueue('events', 1, reads),
      fakeQueue('events', 2, reads),
      fakeQueue('maintenance', 5, reads),
    ];
    const counts = new QueueCounts(queues, 10_000, () => now);

    const [first, second] = await Promise.all([counts.read(), counts.read()]);
    expect(reads.count, 'scrapes at once share one read').toBe(3);
    expect(second).toBe(first);
    expect(first.get('events')).toMatchObject({ waiting: 3, delayed: 3, failed: 3 });
    expect(first.get('maintenance')).toMatchObject({ waiting: 5 });

    now = 9_999;
    await counts.read();
    expect(reads.count, 'a read younger than the max age answers').toBe(3);
    now = 10_000;
    await counts.read();
    expect(reads.count).toBe(6);
  });
});
