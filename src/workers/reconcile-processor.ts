import type { Link } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import { enqueueReconcile, type ReconcileJobData } from '../jobs/reconcile-jobs.js';
import type { Logger } from '../log.js';
import { type ReconcileDeps, reconcileAccount } from '../reconcile/reconcile.js';
import { LeaseLostError } from '../store/account-store.js';
import type { LeaseHolder } from '../store/holders.js';
import { inSpan } from '../telemetry/api.js';
import type { WorkerObserver } from './observer.js';
import { isPoison } from './poison.js';

/** Failures in a row, for a reason no retry fixes, after which an account is parked. */
export const PARK_AFTER_ATTEMPTS = 5;

export interface ReconcileProcessorDeps {
  reconcileDeps: ReconcileDeps;
  /** events of the account published and not folded yet */
  pendingEvents: (account: string) => Promise<number>;
  reconcile: PartitionedQueue;
  debounceMs: number;
  backlogWaitMs: number;
  log: Logger;
  observer: WorkerObserver;
  signal: AbortSignal;
  /** records that an account's reconcile was given up */
  park: (account: string, record: { reason: string; at: number; attempts: number }) => Promise<void>;
  /** the traces of the events this reconcile serves besides the one that queued it (reconcile-links.ts) */
  traceLinks: (account: string) => Promise<Link[]>;
  /** this process's heartbeat id: recorded with each lease, so a live worker takes over if this one dies */
  workerId: string;
}

/** Who runs this job: the lease records it, so the job's lock can be freed the moment this worker dies. */
function holderOf(job: Job, token: string | undefined, worker: string): LeaseHolder {
  return token ? { worker, job: { lockKey: `${job.queueQualifiedName}:${job.id}:lock`, token } } : { worker };
}

/** One account's reconcile, as a BullMQ job: waits out an events backlog, requeues when asked. */
export function reconcileProcessor(deps: ReconcileProcessorDeps) {
  const { observer } = deps;
  return async (job: Job<ReconcileJobData>, token?: string) => {
    const { account } = job.data;
    await waitForBacklog(job, token, deps);
    const links = await deps.traceLinks(account);
    observer.reconcileStarted?.(account);
    const started = Date.now();
    const outcome = await inSpan(
      'reconcile',
      { links, attributes: { 'folder_sync.account': account, 'folder_sync.reason': job.data.reason } },
      async (span) => {
        const holder = holderOf(job, token, deps.workerId);
        const result = await reconcileAccount(account, deps.reconcileDeps, deps.signal, holder);
        span.setAttribute('folder_sync.reconcile.status', result.status);
        if (result.status === 'done') span.setAttribute('folder_sync.reconcile.calls', result.calls);
        return result;
      },
    ).catch((error: unknown) => failed(job, error, started, deps));
    if (outcome.status === 'busy') {
      observer.reconciled?.(account, { outcome: 'busy', seconds: 0, calls: 0 });
      // Another process holds the account (a stalled duplicate run): look again shortly.
      await job.moveToDelayed(Date.now() + 250 + Math.floor(Math.random() * 250), token);
      throw new DelayedError();
    }
    if (outcome.requeueAfterMs !== undefined) {
      await enqueueReconcile(deps.reconcile, [account], outcome.requeueAfterMs, 'retry');
    }
    const { startedAt, finishedAt, calls } = outcome;
    deps.log.debug({ account, startedAt, finishedAt, calls }, 'reconciled');
    observer.reconciled?.(account, { outcome: 'done', seconds: (finishedAt - startedAt) / 1000, calls });
    return { calls: outcome.calls, overflow: outcome.overflowCount };
  };
}

/**
 * Events of this account still on their way to be folded: reconciling now would act on a
 * partial state and pay again for what the rest undoes. Waits for them (the job delayed), at
 * most BACKLOG_WAIT_MS, so coalescing holds for bursts longer than the debounce.
 */
async function waitForBacklog(
  job: Job<ReconcileJobData>,
  token: string | undefined,
  deps: ReconcileProcessorDeps,
): Promise<void> {
  const waitingSince = job.data.waitingSince ?? Date.now();
  if (Date.now() - waitingSince < deps.backlogWaitMs && (await deps.pendingEvents(job.data.account)) > 0) {
    await job.updateData({ ...job.data, waitingSince });
    await job.moveToDelayed(Date.now() + Math.max(50, deps.debounceMs), token);
    throw new DelayedError();
  }
}

/**
 * A reconcile that threw: reported, queued again if its lease was lost, and parked (the job
 * failed for good) once it keeps failing for a reason no retry fixes; else the job retries.
 */
async function failed(
  job: Job<ReconcileJobData>,
  error: unknown,
  started: number,
  deps: ReconcileProcessorDeps,
): Promise<never> {
  const { account } = job.data;
  deps.observer.reconciled?.(account, { outcome: 'error', seconds: (Date.now() - started) / 1000, calls: 0 });
  // This job may no longer be ours to retry (its lock went with the lease): queue a
  // reconcile so the read-back asked for happens whoever runs it.
  if (error instanceof LeaseLostError) {
    await enqueueReconcile(deps.reconcile, [account], deps.debounceMs, 'retry').catch(() => {});
  }
  const attempts = job.attemptsMade + 1;
  if (isPoison(error) && attempts >= PARK_AFTER_ATTEMPTS) {
    // a bug or data no code path expects: retrying a million times only burns CPU and logs
    const reason = error instanceof Error ? error.message : String(error);
    await deps.park(account, { reason, at: Date.now(), attempts });
    deps.log.error(
      { account, attempts, err: error },
      'reconcile parked: it keeps failing for a reason retries cannot fix',
    );
    deps.observer.accountParked?.(account);
    throw new UnrecoverableError(`parked after ${attempts} attempts: ${reason}`);
  }
  throw error;
}
