import type { ProviderLimits } from '../plan/types.js';
import type { ErrorCondition, ProviderError, ProviderProfile } from './types.js';

/**
 * What every provider adapter shares: its profile (limits and naming), the two codes that mean
 * "that group is gone" and "too many groups" to the engine, and its client's lifetime.
 */
export abstract class ProviderBase {
  readonly limits: ProviderLimits;
  readonly groupName: ProviderProfile['groupName'];

  constructor(
    profile: ProviderProfile,
    private readonly codes: { groupMissing: number; groupLimit: number },
    private readonly closeClient: () => Promise<void>,
  ) {
    this.limits = profile.limits;
    this.groupName = profile.groupName;
  }

  condition(error: ProviderError): ErrorCondition {
    if (error.code === this.codes.groupMissing) return 'group_missing';
    if (error.code === this.codes.groupLimit) return 'group_limit';
    return undefined;
  }

  close(): Promise<void> {
    return this.closeClient();
  }
}
