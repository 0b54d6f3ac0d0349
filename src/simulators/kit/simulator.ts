import type { CallLog } from './call-log.js';
import type { Faults, FaultsInput } from './faults.js';
import type { RateLimitConfig } from './rate-limiter.js';

/** What every provider's simulator offers tests, demos and benchmarks. */
export interface SimulatorBase {
  url: string;
  port: number;
  calls: CallLog;
  faults(): Faults;
  setFaults(input: FaultsInput): Faults;
  rateLimit(): RateLimitConfig;
  setRateLimit(input: Partial<RateLimitConfig>): RateLimitConfig;
  reset(): void;
  close(): Promise<void>;
}

/** What the admin endpoints read and control: any provider's simulator. */
export interface AdminTarget extends SimulatorBase {
  state: {
    accountNames(): string[];
    /** an account's groups with their members, in the provider's own shape */
    snapshot(account: string): unknown;
    reset(): void;
    /** conversation records made as a message would (providers that keep them) */
    seedConversations?(ids: readonly string[]): void;
  };
}
