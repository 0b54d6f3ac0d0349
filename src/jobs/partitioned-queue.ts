import type { JobType, Queue } from 'bullmq';
import type { ErrorSink } from '../redis/errors.js';
import type { Keys } from '../store/keys.js';
import type { RedisClient } from './connection.js';
import { openQueue } from './queues.js';

/** The queues that hold one account's work: one BullMQ queue per partition, under its prefix. */
export const PARTITIONED_QUEUES = ['events', 'reconcile'] as const;
export type PartitionedQueueName = (typeof PARTITIONED_QUEUES)[number];

/**
 * One product queue split by partition: an account's jobs always go to its partition's queue,
 * where they share a Redis Cluster slot with the account's keys.
 */
export class PartitionedQueue {
  constructor(
    readonly name: PartitionedQueueName,
    /** by partition number */
    readonly queues: readonly Queue[],
    readonly keys: Keys,
    readonly connection: RedisClient,
  ) {}

  of(account: string): Queue {
    return this.queues[this.keys.partOf(account).partition]!;
  }

  /** Items grouped by their account's partition queue, each group in input order. */
  group<T>(items: Iterable<T>, accountOf: (item: T) => string): Array<[Queue, T[]]> {
    const groups = new Map<Queue, T[]>();
    for (const item of items) {
      const queue = this.of(accountOf(item));
      const list = groups.get(queue);
      if (list) list.push(item);
      else groups.set(queue, [item]);
    }
    return [...groups];
  }

  /** Job counts summed over the partitions. */
  async getJobCounts(...states: JobType[]): Promise<Record<string, number>> {
    const all = await Promise.all(this.queues.map((q) => q.getJobCounts(...states)));
    const sum: Record<string, number> = {};
    for (const counts of all)
      for (const [state, n] of Object.entries(counts)) sum[state] = (sum[state] ?? 0) + n;
    return sum;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}

/** A partitioned product queue over every partition, opened as openQueue opens one. */
export function openPartitioned(
  name: PartitionedQueueName,
  connection: RedisClient,
  keys: Keys,
  onError: ErrorSink,
): PartitionedQueue {
  const queues = keys.parts.map((part) => openQueue(name, connection, part.prefix, onError));
  return new PartitionedQueue(name, queues, keys, connection);
}
