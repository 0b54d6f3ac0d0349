import type { JobsOptions } from 'bullmq';
import type { PartitionedQueue } from './partitioned-queue.js';
import { JOB_NAMES, RETRY_BACKOFF } from './queues.js';

export interface ReconcileJobData {
  account: string;
  /** why it was queued (for the dashboard); never read by the reconcile: it reads Redis state */
  reason: 'events' | 'retry' | 'rules-changed' | 'resync' | 'busy' | 'verify';
  /** set while the reconcile waits for the events backlog to drain (epoch ms it began waiting) */
  waitingSince?: number;
}

/**
 * client-go workqueue semantics on BullMQ: the account is the deduplication id, so a burst
 * coalesces into one waiting job (`delay` = the debounce window from the first event), an add
 * while the job runs is kept and re-queued once when it finishes (keepLastIfActive), and the
 * same account never runs twice at once. Attempts are practically unbounded: a failing account
 * keeps retrying with capped backoff instead of dropping its dirty bit.
 */
export function reconcileJobOptions(account: string, delayMs: number): JobsOptions {
  return {
    deduplication: { id: account, keepLastIfActive: true },
    delay: delayMs,
    attempts: 1_000_000,
    backoff: { type: RETRY_BACKOFF },
  };
}

/** Queues a reconcile of each account in its partition's queue (one addBulk per partition). */
export async function enqueueReconcile(
  queue: PartitionedQueue,
  accounts: Iterable<string>,
  delayMs: number,
  reason: ReconcileJobData['reason'],
): Promise<void> {
  await Promise.all(
    queue
      .group(accounts, (account) => account)
      .map(([partition, list]) =>
        partition.addBulk(
          list.map((account) => ({
            name: JOB_NAMES.reconcile,
            data: { account, reason } satisfies ReconcileJobData,
            opts: reconcileJobOptions(account, delayMs),
          })),
        ),
      ),
  );
}
