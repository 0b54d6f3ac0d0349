import { afterEach, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/rules/load.js';
import { accountStatus } from '../../src/status/account-status.js';
import { AccountStore } from '../../src/store/account-store.js';
import { keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { yunxinProfile } from '../../src/yunxin/provider.js';
import { DEMO_APP } from '../../src/yunxin/simulator/server.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';

let e: Engine | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function statusOf(engine: Engine, account: string) {
  const { rules } = await loadRulesFile('examples/rules.json');
  const store = new AccountStore(withScripts(engine.redis), keysFor(engine.config.QUEUE_PREFIX));
  return accountStatus(account, store, rules.folders, yunxinProfile(), Date.now());
}

describe('per-item failures in failed_list', () => {
  it('transient items (110449) are retried with backoff until they land', async () => {
    e = await startEngine({ sim: { faults: { itemTransientRate: 0.4 } } });
    const ids = range(60).map((i) => `c${i}`);
    await e.publish(ids.map((t) => ev('conversation.tagged', 'flaky', { ...team(t), tag: 'customer' })));
    await e.eventually(
      () => expect(e!.groups('flaky')).toEqual({ Customers: ids.map((t) => `2|${t}`).sort() }),
      30_000,
    );
    const failedItems = e.sim.calls.recentCalls().reduce((n, c) => n + c.failed, 0);
    expect(failedItems).toBeGreaterThan(0);
    await e.idle();
    expect((await statusOf(e, 'flaky')).folders.find((f) => f.folder === 'app:customers')).toMatchObject({
      desired: 60,
      synced: 60,
      retrying: 0,
      rejections: [],
    });
  });

  it('permanent items are recorded as rejections and not retried until the conversation changes', async () => {
    e = await startEngine();
    // the user's own groups (made in a client) already hold c1 five times: no slot left
    const client = new YunxinClient({ ...DEMO_APP, endpoints: [e.sim.url] });
    const own: string[] = [];
    for (const i of range(5)) {
      own.push(
        (await client.createGroup({ accountId: 'full', name: `own ${i}`, conversationIds: ['full|2|c1'] }))
          .group.groupId,
      );
    }
    const attemptsOnC1 = () =>
      e!.sim.calls.recentCalls().filter((c) => c.conversationIds?.includes('full|2|c1')).length - own.length;
    await e.publish([ev('conversation.tagged', 'full', { ...team('c1'), tag: 'customer' })]);
    await e.eventually(async () => {
      const customers = (await statusOf(e!, 'full')).folders.find((f) => f.folder === 'app:customers');
      expect(customers?.rejections).toMatchObject([{ conversation: '2|c1', code: 110304 }]);
    });
    expect(attemptsOnC1()).toBe(1);

    // other work for the account does not retry c1
    await e.publish([ev('conversation.tagged', 'full', { ...team('c2'), tag: 'customer' })]);
    await e.eventually(() => expect(e!.groups('full').Customers).toEqual(['2|c2']));
    await e.idle();
    expect(attemptsOnC1()).toBe(1);

    // a slot frees up, then c1's facts change: now it is tried again, and lands
    await client.deleteGroup({ accountId: 'full', groupId: own[0]! });
    await client.close();
    await e.publish([ev('conversation.upserted', 'full', { ...team('c1'), attributes: { note: 'vip' } })]);
    await e.eventually(() => expect(e!.groups('full').Customers).toEqual(['2|c1', '2|c2']));
    expect(attemptsOnC1()).toBe(2);
    await e.idle();
    expect((await statusOf(e, 'full')).folders.find((f) => f.folder === 'app:customers')?.rejections).toEqual(
      [],
    );
  });
});
