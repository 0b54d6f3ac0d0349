/**
 * What the engine reports as it works. Metrics implement it; tests listen to it. Every method
 * is optional and must not throw or block.
 */
export interface EngineObserver {
  eventsFolded?(result: { events: number; changed: number; duplicates: number; stale: number }): void;
  reconcileStarted?(account: string): void;
  reconciled?(
    account: string,
    result: { outcome: 'done' | 'busy' | 'error'; seconds: number; calls: number },
  ): void;
  itemsFailed?(counts: { retried: number; rejected: number }): void;
  rateLimitPause?(ms: number): void;
  providerCall?(endpoint: string, code: number, seconds: number): void;
}
