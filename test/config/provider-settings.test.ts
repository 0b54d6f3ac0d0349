/**
 * The provider-neutral settings (issue 15): defaults per PROVIDER, and the old per-provider names
 * still read, each use warned about, a disagreement with the new name refused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  DEPRECATED_ALIASES,
  ESSENTIAL_SETTINGS,
  loadConfig,
  PROVIDER_DEFAULTS,
  warnOncePerProcess,
} from '../../src/config.js';
import { configCounts } from '../../src/config-table.js';
import { runCli } from '../support/processes.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';

/** The configuration and the warnings loading it told. */
function load(env: Record<string, string>) {
  const warnings: string[] = [];
  const config = loadConfig(env, (w) => warnings.push(w));
  return { config, warnings };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('provider-neutral settings', () => {
  it.each([
    ['yunxin', ['https://open.yunxinapi.com', 'https://open-bak.yunxinapi.com'], 100],
    ['tencent', ['https://console.tim.qq.com', 'https://adminapi.my-imcloud.com'], 200],
  ] as const)('default to %s endpoints and rate limit when unset', (provider, endpoints, rate) => {
    const { config } = load({ PROVIDER: provider });
    expect(config.PROVIDER_ENDPOINT).toEqual(endpoints);
    expect(config.PROVIDER_RATE_LIMIT).toBe(rate);
    expect(config.PROVIDER_ENDPOINT.join(',')).toBe(PROVIDER_DEFAULTS[provider].PROVIDER_ENDPOINT);
  });

  it('take what is set over the provider defaults', () => {
    const { config } = load({
      PROVIDER: 'tencent',
      PROVIDER_ENDPOINT: 'http://a, http://b',
      PROVIDER_RATE_LIMIT: '7',
    });
    expect(config.PROVIDER_ENDPOINT).toEqual(['http://a', 'http://b']);
    expect(config.PROVIDER_RATE_LIMIT).toBe(7);
  });

  it('refuse a Tencent SDKAppID that is not a number, and PROVIDER_SECRET still holding its placeholder', () => {
    expect(() => load({ PROVIDER: 'tencent', PROVIDER_APP_ID: 'demo-app-key' })).toThrow(
      /PROVIDER_APP_ID: a Tencent SDKAppID is a number/,
    );
    expect(load({ PROVIDER_APP_ID: 'demo-app-key' }).config.PROVIDER_APP_ID).toBe('demo-app-key');
    expect(() => load({ PROVIDER_SECRET: 'change-me-provider-secret' })).toThrow(
      /PROVIDER_SECRET: still the placeholder/,
    );
  });
});

describe('deprecated names', () => {
  const value = (now: string) =>
    ({
      PROVIDER_ENDPOINT: 'http://old.test',
      PROVIDER_APP_ID: '1400000001',
      PROVIDER_SECRET: 'old-secret',
      PROVIDER_RATE_LIMIT: '42',
      PROVIDER_TIMEOUT_MS: '4242',
    })[now]!;

  it.each(DEPRECATED_ALIASES)('$old still sets $now under PROVIDER=$provider, warned about once', (alias) => {
    const { config, warnings } = load({ PROVIDER: alias.provider, [alias.old]: value(alias.now) });
    const set = config[alias.now as keyof typeof config];
    expect(Array.isArray(set) ? set.join(',') : String(set)).toBe(value(alias.now));
    expect(warnings).toEqual([`${alias.old} is deprecated: use ${alias.now}`]);
  });

  it('refuses an old and a new name set to different values, naming both', () => {
    const env = {
      YUNXIN_APP_KEY: 'old-key',
      PROVIDER_APP_ID: 'new-key',
      YUNXIN_APP_SECRET: 's',
      PROVIDER_SECRET: 's',
    };
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(/YUNXIN_APP_KEY and PROVIDER_APP_ID are both set, to different values/);
    // the same value twice is only the old name's warning
    expect(() => load({ ...env, PROVIDER_APP_ID: 'old-key' })).not.toThrow();
  });

  it("ignores the other provider's old names, with a warning", () => {
    const { config, warnings } = load({ TENCENT_SDKAPPID: '1400000001', TENCENT_RATE_LIMIT: '5' });
    expect(config.PROVIDER_APP_ID).toBeUndefined();
    expect(config.PROVIDER_RATE_LIMIT).toBe(100);
    expect(warnings).toEqual([
      'TENCENT_SDKAPPID is ignored with PROVIDER=yunxin (and deprecated: PROVIDER_APP_ID)',
      'TENCENT_RATE_LIMIT is ignored with PROVIDER=yunxin (and deprecated: PROVIDER_RATE_LIMIT)',
    ]);
  });

  it('keep refusing the secret placeholder under the old name', () => {
    expect(() => load({ YUNXIN_APP_SECRET: 'change-me-yunxin-app-secret' })).toThrow(
      /PROVIDER_SECRET: still the placeholder/,
    );
  });

  it('are told once per process by default, on stderr', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const message = `X_${uniquePrefix()} is deprecated: use Y`;
    warnOncePerProcess(message);
    warnOncePerProcess(message);
    expect(write.mock.calls).toEqual([[`DeprecationWarning: ${message}\n`]]);
  });

  it('a real process prints each deprecation once, on stderr', async () => {
    const res = await runCli(['rules', 'show'], {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: uniquePrefix('aliases'),
      PROVIDER: '',
      YUNXIN_APP_KEY: 'k',
      TENCENT_SDKAPPID: '1400000001',
    });
    expect(res.code).toBe(0);
    expect(
      res.stderr.match(/DeprecationWarning: YUNXIN_APP_KEY is deprecated: use PROVIDER_APP_ID/g),
    ).toHaveLength(1);
    expect(res.stderr).toContain('TENCENT_SDKAPPID is ignored with PROVIDER=yunxin');
  });

  it('a process that exits on a configuration error still says which old name became which', async () => {
    const res = await runCli(['worker'], { PROVIDER: '', YUNXIN_APP_SECRET: 'change-me-yunxin-app-secret' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('YUNXIN_APP_SECRET is deprecated: use PROVIDER_SECRET');
    expect(res.stderr).toContain('PROVIDER_SECRET: still the placeholder');
  });
});

describe('classification', () => {
  it('keeps the essential settings few: issue 15 asked for about six', () => {
    expect(ESSENTIAL_SETTINGS.length).toBeLessThanOrEqual(8);
    expect(configCounts()).toMatch(/^essential \d+, advanced \d+, deprecated aliases 10$/);
  });
});
