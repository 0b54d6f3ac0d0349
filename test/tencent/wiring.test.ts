import { describe, expect, it } from 'vitest';
import { isConfigProblem } from '../../src/cli/config-or-exit.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createProvider, providerProfile } from '../../src/provider/create-provider.js';

const hooks = { beforeCall: async () => {}, onCall: () => {}, log: createLogger({ level: 'silent' }) };

describe('PROVIDER=tencent', () => {
  it('needs PROVIDER_APP_ID and PROVIDER_SECRET, and says so (a configuration problem: exit 2)', () => {
    for (const env of [{}, { PROVIDER_APP_ID: '1400000000' }, { PROVIDER_SECRET: 'k' }]) {
      const config = loadConfig({ PROVIDER: 'tencent', ...env });
      let error: unknown;
      try {
        createProvider(config, hooks);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        'PROVIDER_APP_ID and PROVIDER_SECRET are required to run workers with PROVIDER=tencent',
      );
      expect(isConfigProblem(error)).toBe(true);
    }
  });

  it('builds the Tencent provider with its limits, the configured ones winning, and its own rate', async () => {
    const config = loadConfig({
      PROVIDER: 'tencent',
      PROVIDER_APP_ID: '1400000000',
      PROVIDER_SECRET: 'k',
      PROVIDER_RATE_LIMIT: '150',
      GROUPS_PER_ACCOUNT: '15',
    });
    const provider = createProvider(config, hooks);
    try {
      expect(provider.name).toBe('tencent');
      expect(provider.limits).toMatchObject({
        groupsPerAccount: 15,
        conversationsPerGroup: 1000,
        mixedMembershipUpdate: true,
      });
      expect(providerProfile(config).limits).toEqual(provider.limits);
      expect(providerProfile(config).groupName('x'.repeat(40))).toHaveLength(32);
      expect(config.PROVIDER_RATE_LIMIT).toBe(150);
    } finally {
      await provider.close();
    }
  });

  it('leaves Yunxin as it was: its own limits when GROUPS_PER_* are unset', () => {
    const config = loadConfig({});
    expect(config.PROVIDER).toBe('yunxin');
    expect(providerProfile(config).limits).toEqual({
      idsPerCall: 100,
      groupsPerConversation: 5,
      groupsPerAccount: 50,
      conversationsPerGroup: 1000,
      mixedMembershipUpdate: false,
    });
    expect(config.PROVIDER_RATE_LIMIT).toBe(100);
  });
});
