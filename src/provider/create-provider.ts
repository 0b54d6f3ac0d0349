import { type Config, ConfigError } from '../config.js';
import type { Logger } from '../log.js';
import { TencentClient } from '../tencent/client.js';
import { TencentProvider, tencentProfile } from '../tencent/provider.js';
import { YunxinClient } from '../yunxin/client.js';
import { YunxinProvider, yunxinProfile } from '../yunxin/provider.js';
import type { CallAnswer } from './errors.js';
import type { ConfigurableLimits, GroupProvider, ProviderProfile } from './types.js';

export interface ProviderHooks {
  /** awaited before every HTTP request (the shared rate limiter), with the endpoint's name */
  beforeCall: (endpoint: string) => Promise<void>;
  /** told after every call (metrics) */
  onCall: (endpoint: string, answer: CallAnswer, seconds: number) => void;
  /** told when an endpoint's wait for an answer changes (a gauge) */
  onTimeoutBudget?: (endpoint: string, ms: number) => void;
  log: Logger;
}

const limitsOf = (config: Config): ConfigurableLimits => ({
  groupsPerConversation: config.GROUPS_PER_CONVERSATION,
  groupsPerAccount: config.GROUPS_PER_ACCOUNT,
  conversationsPerGroup: config.CONVERSATIONS_PER_GROUP,
  conversationsPerAccount: config.CONVERSATIONS_PER_ACCOUNT,
  groupNameMaxLength: config.GROUP_NAME_MAX_LENGTH,
});

/** The provider PROVIDER names, built from the configuration (the engine imports no provider directly). */
export function createProvider(config: Config, hooks: ProviderHooks): GroupProvider {
  return config.PROVIDER === 'tencent' ? tencentProvider(config, hooks) : yunxinProvider(config, hooks);
}

function yunxinProvider(config: Config, hooks: ProviderHooks): GroupProvider {
  if (!config.YUNXIN_APP_KEY || !config.YUNXIN_APP_SECRET) {
    throw new ConfigError('YUNXIN_APP_KEY and YUNXIN_APP_SECRET are required to run workers');
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
    onTimeoutBudget: hooks.onTimeoutBudget,
    groupConversationsEndpoint: config.YUNXIN_GROUP_CONVERSATIONS_ENDPOINT,
  });
  return new YunxinProvider(client, limitsOf(config));
}

function tencentProvider(config: Config, hooks: ProviderHooks): GroupProvider {
  if (!config.TENCENT_SDKAPPID || !config.TENCENT_SECRET_KEY) {
    throw new ConfigError(
      'TENCENT_SDKAPPID and TENCENT_SECRET_KEY are required to run workers with PROVIDER=tencent',
    );
  }
  const client = new TencentClient({
    sdkappid: config.TENCENT_SDKAPPID,
    identifier: config.TENCENT_ADMIN,
    secretKey: config.TENCENT_SECRET_KEY,
    endpoints: config.TENCENT_ENDPOINT,
    headersTimeoutMs: config.TENCENT_TIMEOUT_MS,
    bodyTimeoutMs: config.TENCENT_TIMEOUT_MS,
    logger: hooks.log,
    beforeCall: hooks.beforeCall,
    onCall: hooks.onCall,
    onTimeoutBudget: hooks.onTimeoutBudget,
  });
  return new TencentProvider(client, limitsOf(config));
}

/** Limits and group naming of the configured provider, without a client (status, plan, demo). */
export function providerProfile(config: Config): ProviderProfile {
  return config.PROVIDER === 'tencent' ? tencentProfile(limitsOf(config)) : yunxinProfile(limitsOf(config));
}

/** Calls per second the shared limiter allows for the configured provider. */
export function providerRateLimit(config: Config): number {
  return config.PROVIDER === 'tencent' ? config.TENCENT_RATE_LIMIT : config.YUNXIN_RATE_LIMIT;
}
