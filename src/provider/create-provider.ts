import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { YunxinClient } from '../yunxin/client.js';
import { YunxinProvider, yunxinProfile } from '../yunxin/provider.js';
import type { GroupProvider } from './types.js';

export interface ProviderHooks {
  /** awaited before every HTTP request (the shared rate limiter) */
  beforeCall: () => Promise<void>;
  /** told after every call (metrics) */
  onCall: (endpoint: string, code: number, seconds: number) => void;
  log: Logger;
}

const limitsOf = (config: Config) => ({
  groupsPerConversation: config.GROUPS_PER_CONVERSATION,
  groupsPerAccount: config.GROUPS_PER_ACCOUNT,
  conversationsPerGroup: config.CONVERSATIONS_PER_GROUP,
});

/** The provider PROVIDER names, built from the configuration (the engine imports no provider directly). */
export function createProvider(config: Config, hooks: ProviderHooks): GroupProvider {
  if (config.PROVIDER === 'tencent') throw new Error('PROVIDER=tencent is not available yet');
  if (!config.YUNXIN_APP_KEY || !config.YUNXIN_APP_SECRET) {
    throw new Error('YUNXIN_APP_KEY and YUNXIN_APP_SECRET are required to run workers');
  }
  const client = new YunxinClient({
    appKey: config.YUNXIN_APP_KEY,
    appSecret: config.YUNXIN_APP_SECRET,
    endpoints: config.YUNXIN_ENDPOINT,
    headersTimeoutMs: config.YUNXIN_TIMEOUT_MS,
    bodyTimeoutMs: config.YUNXIN_TIMEOUT_MS,
    logger: hooks.log,
    beforeCall: hooks.beforeCall,
    onCall: hooks.onCall,
  });
  return new YunxinProvider(client, limitsOf(config));
}

/** Limits and group naming of the configured provider, without a client (status, plan, demo). */
export function providerProfile(config: Config): Pick<GroupProvider, 'limits' | 'groupName'> {
  return yunxinProfile(limitsOf(config));
}

/** Calls per second the shared limiter allows for the configured provider. */
export function providerRateLimit(config: Config): number {
  return config.PROVIDER === 'tencent' ? config.TENCENT_RATE_LIMIT : config.YUNXIN_RATE_LIMIT;
}
