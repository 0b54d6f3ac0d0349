import type { HeldRules } from '../fleet/rules.js';
import type { CallAnswer } from '../provider/errors.js';
import type { RepairResult } from './session.js';

/**
 * What the engine reports as it works (the workers report more: WorkerObserver in
 * src/workers/observer.ts). Metrics implement it; tests listen to it. Every method is optional
 * and must not throw or block.
 */
export interface EngineObserver {
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
  /** the provider says the app is misconfigured (or no longer does: undefined) */
  providerMisconfigured?(error: { code: number; endpoint: string; since: number } | undefined): void;
  /** conversations created so that they could be grouped (the provider refused them as missing) */
  conversationsCreated?(count: number): void;
}
