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

/** The configured app's id and secret: workers cannot call the provider without them. */
function credentials(config: Config): { appId: string; secret: string } {
  if (!config.PROVIDER_APP_ID || !config.PROVIDER_SECRET) {
    throw new ConfigError(
      `PROVIDER_APP_ID and PROVIDER_SECRET are required to run workers with PROVIDER=${config.PROVIDER}`,
    );
  }
  return { appId: config.PROVIDER_APP_ID, secret: config.PROVIDER_SECRET };
}

/** What both clients take the same way. */
const transportOf = (config: Config, hooks: ProviderHooks) => ({
  endpoints: config.PROVIDER_ENDPOINT,
  headersTimeoutMs: config.PROVIDER_TIMEOUT_MS,
  bodyTimeoutMs: config.PROVIDER_TIMEOUT_MS,
  logger: hooks.log,
  beforeCall: hooks.beforeCall,
  onCall: hooks.onCall,
  onTimeoutBudget: hooks.onTimeoutBudget,
});

function yunxinProvider(config: Config, hooks: ProviderHooks): GroupProvider {
  const { appId, secret } = credentials(config);
  const client = new YunxinClient({
    ...transportOf(config, hooks),
    appKey: appId,
    appSecret: secret,
    groupConversationsEndpoint: config.YUNXIN_GROUP_CONVERSATIONS_ENDPOINT,
  });
  return new YunxinProvider(client, limitsOf(config));
}

function tencentProvider(config: Config, hooks: ProviderHooks): GroupProvider {
  const { appId, secret } = credentials(config);
  const client = new TencentClient({
    ...transportOf(config, hooks),
    sdkappid: Number(appId),
    identifier: config.TENCENT_ADMIN,
    secretKey: secret,
  });
  return new TencentProvider(client, limitsOf(config));
}

/** Limits and group naming of the configured provider, without a client (status, plan, demo). */
export function providerProfile(config: Config): ProviderProfile {
  return config.PROVIDER === 'tencent' ? tencentProfile(limitsOf(config)) : yunxinProfile(limitsOf(config));
}
