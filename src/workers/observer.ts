import type { EngineObserver } from '../reconcile/observer.js';

/**
 * How a job run ended: completed, retried (failed, runs again after backoff) or failed (its last
 * attempt). `waitSeconds`, from the job's adding to the start of this run, once the job is done.
 */
export interface JobRun {
  outcome: 'completed' | 'retried' | 'failed';
  seconds: number;
  waitSeconds?: number;
}

/**
 * What the BullMQ workers report besides the engine's own (EngineObserver): folded batches, job
 * runs, and each account's reconcile as a job (started, its outcome, parked). Metrics implement
 * it; tests listen to it. Every method is optional and must not throw or block.
 */
export interface WorkerObserver extends EngineObserver {
  /** a batch of events was folded: what became of them */
  eventsFolded?(result: {
    events: number;
    changed: number;
    duplicates: number;
    stale: number;
    invalid: number;
    overLimit: number;
  }): void;
  /** an account's reconcile job starts (after any wait for its events backlog) */
  reconcileStarted?(account: string): void;
  /** how it ended: done, busy (another worker holds the account) or an error */
  reconciled?(
    account: string,
    result: { outcome: 'done' | 'busy' | 'error'; seconds: number; calls: number },
  ): void;
  /** a job run ended in one of this process's workers */
  jobRun?(queue: string, run: JobRun): void;
  /** an events job failed its last attempt (it stays in the failed list) */
  eventsJobFailed?(): void;
  /** an account's reconcile was given up: it kept failing for a reason retries cannot fix */
  accountParked?(account: string): void;
}
