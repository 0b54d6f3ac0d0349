import { describe, expect, it } from 'vitest';
import { ConfigurationAlarm } from '../../src/provider/configuration-alarm.js';
import { ev, startEngine, team } from '../support/engine.js';
import { capturedLogger } from '../support/log-capture.js';

describe('a misconfigured app', () => {
  it('is said once a minute, kept until a call succeeds', () => {
    let now = 0;
    const { logger, text } = capturedLogger({ level: 'info', name: 'test' });
    const changes: unknown[] = [];
    const alarm = new ConfigurationAlarm(
      new Set([60004]),
      logger,
      (e) => changes.push(e),
      () => now,
    );
    alarm.observe('create', 60004, 0);
    now = 30_000;
    alarm.observe('create', 60004, 0);
    expect(text().match(/misconfigured/g)).toHaveLength(1);
    now = 61_000;
    alarm.observe('update', 60004, 0);
    expect(text().match(/misconfigured/g)).toHaveLength(2);
    expect(alarm.state()).toEqual({ code: 60004, endpoint: 'create', since: 0 });
    alarm.observe('list', 51009, 0); // another refusal: still misconfigured
    expect(alarm.state()).toBeDefined();
    alarm.observe('list', 0, 0);
    expect(alarm.state()).toBeUndefined();
    expect(changes).toEqual([{ code: 60004, endpoint: 'create', since: 0 }, undefined]);
  });

  it('Tencent with a wrong key: /readyz is degraded and names the code', async () => {
    const e = await startEngine({
      provider: 'tencent',
      env: { PROVIDER_SECRET: 'not-the-key-of-this-app' },
    });
    try {
      await e.publish([ev('conversation.tagged', 'cfg', { ...team('c'), tag: 'customer' })]);
      await e.eventually(async () => {
        const state = await e.workers.fleetState!();
        expect(state.degraded?.[0]).toContain('the provider answers 70009');
      });
      expect(e.logs()).toContain('the provider says the app is misconfigured');
    } finally {
      await e.close();
    }
  });
});
