import type { HeldRules } from '../fleet/rules.js';
import type { CallAnswer } from '../provider/errors.js';
import type { RepairResult } from './session.js';

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
 * What the engine reports as it works. Metrics implement it; tests listen to it. Every method
 * is optional and must not throw or block.
 */
export interface EngineObserver {
  eventsFolded?(result: {
    events: number;
    changed: number;
    duplicates: number;
    stale: number;
    invalid: number;
    overLimit: number;
  }): void;
  reconcileStarted?(account: string): void;
  reconciled?(
    account: string,
    result: { outcome: 'done' | 'busy' | 'error'; seconds: number; calls: number },
  ): void;
  itemsFailed?(counts: { retried: number; rejected: number }): void;
  rateLimitPause?(ms: number): void;
  providerCall?(endpoint: string, answer: CallAnswer, seconds: number): void;
  /** how long the next call of this endpoint waits for an answer (its latency budget) changed */
  providerTimeout?(endpoint: string, seconds: number): void;
  /** an account's first read-back under this deployment epoch adopted this many managed groups */
  firstContact?(account: string, adoptedGroups: number): void;
  /** a read-back found the provider differing from a trusted ledger (zeros when it did not) */
  driftFound?(drift: RepairResult): void;
  /** the reconcile after a read-back that found drift ran to the end */
  driftRepaired?(drift: RepairResult): void;
  /** stored records that did not decode and were dropped or skipped */
  corruptRecords?(count: number): void;
  /** this process found that Redis lost data (the deployment sentinel is gone or changed) */
  dataLoss?(reason: string): void;
  /** the rules change the deletion guard holds, or undefined when none is held */
  rulesHeld?(held: HeldRules | undefined): void;
  /** a job run ended in one of this process's workers */
  jobRun?(queue: string, run: JobRun): void;
  /** an events job failed its last attempt (it stays in the failed list) */
  eventsJobFailed?(): void;
  /** an account's reconcile was given up: it kept failing for a reason retries cannot fix */
  accountParked?(account: string): void;
  /** the provider says the app is misconfigured (or no longer does: undefined) */
  providerMisconfigured?(error: { code: number; endpoint: string; since: number } | undefined): void;
  /** conversations created so that they could be grouped (the provider refused them as missing) */
  conversationsCreated?(count: number): void;
}
