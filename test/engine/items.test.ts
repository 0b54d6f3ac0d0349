import { afterEach, describe, expect, it } from 'vitest';
import { keysOf } from '../../src/config.js';
import { providerProfile } from '../../src/provider/create-provider.js';
import { loadRulesFile } from '../../src/rules/load.js';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import { DEMO_APP } from '../../src/simulators/yunxin/demo-app.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { accountStatus } from '../../src/status/account-status.js';
import { AccountStore } from '../../src/store/account-store.js';
import { withScripts } from '../../src/store/scripts.js';
import { TencentClient } from '../../src/tencent/client.js';
import type { ContactKey } from '../../src/tencent/contact.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { type Engine, ev, PROVIDERS, type ProviderName, startEngine, team } from '../support/engine.js';

let e: Engine<SimulatorBase> | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function statusOf(engine: Engine<SimulatorBase>, account: string) {
  const { rules } = await loadRulesFile('examples/rules.json');
  const store = new AccountStore(withScripts(engine.redis), keysOf(engine.config));
  return accountStatus(account, store, rules.folders, providerProfile(engine.config), Date.now());
}
const customersOf = async (engine: Engine<SimulatorBase>, account: string) =>
  (await statusOf(engine, account)).folders.find((f) => f.folder === 'app:customers');

/**
 * The user's own group, made in a client (not by this service), holding `targets` (team
 * conversations), and a way to delete it.
 */
async function ownGroup(engine: Engine<SimulatorBase>, account: string, targets: string[]) {
  if (engine.provider === 'tencent') {
    const client = new TencentClient({
      ...TENCENT_DEMO_APP,
      identifier: TENCENT_DEMO_APP.admin,
      endpoints: [engine.sim.url],
    });
    const name = `own ${targets.join(' ')}`;
    await client.createGroup({ account, name, contacts: targets.map((t) => `2|${t}` as ContactKey) });
    return async () => {
      await client.deleteGroup({ account, name });
      await client.close();
    };
  }
  // a user's own group holds conversations the user chatted in
  (engine.sim as Simulator).state.seedConversations(targets.map((t) => `${account}|2|${t}`));
  const client = new YunxinClient({ ...DEMO_APP, endpoints: [engine.sim.url] });
  const { group } = await client.createGroup({
    accountId: account,
    name: `own ${targets.join(' ')}`,
    conversationIds: targets.map((t) => `${account}|2|${t}`),
  });
  return async () => {
    await client.deleteGroup({ accountId: account, groupId: group.groupId });
    await client.close();
  };
}

describe.each(PROVIDERS)('per-item failures (%s)', (provider: ProviderName) => {
  it('transient items are retried with backoff until they land', async () => {
    // retries of 50 ms doubling up to 200 ms: the items land within a second
    e = await startEngine({
      provider,
      env: { RETRY_MAX_MS: '200' },
      sim: { faults: { itemTransientRate: 0.4 } },
    });
    const ids = range(60).map((i) => `c${i}`);
    await e.publish(ids.map((t) => ev('conversation.tagged', 'flaky', { ...team(t), tag: 'customer' })));
    await e.eventually(
      () => expect(e!.groups('flaky')).toEqual({ Customers: ids.map((t) => `2|${t}`).sort() }),
      30_000,
    );
    const failedItems = e.sim.calls.recentCalls().reduce((n, c) => n + c.failed, 0);
    expect(failedItems).toBeGreaterThan(0);
    await e.idle();
    expect(await customersOf(e, 'flaky')).toMatchObject({
      desired: 60,
      synced: 60,
      retrying: 0,
      rejections: [],
    });
  });

  // The provider refuses c1 for a limit the engine cannot see: Yunxin's 5 groups per
  // conversation, filled by the user's own groups (110304); Tencent's grouped conversations per
  // user, filled by the user's own group (51008; the simulator's total is lowered to 3).
  const refusal = provider === 'tencent' ? 51008 : 110304;
  it(`permanent items (${refusal}) are recorded as rejections and not retried until the conversation changes`, async () => {
    const engine =
      provider === 'tencent'
        ? await startEngine({ provider, sim: { limits: { groupedConversationsPerAccount: 3 } } })
        : await startEngine({ provider });
    e = engine;
    // Yunxin: five own groups hold c1. Tencent: one own group holds o1..o3, the whole total.
    const deleteOwn =
      provider === 'tencent'
        ? [await ownGroup(engine, 'full', ['o1', 'o2', 'o3'])]
        : await Promise.all(range(5).map(() => ownGroup(engine, 'full', ['c1'])));
    const own = engine.sim.calls.count('group.create');
    const attemptsOnC1 = () =>
      engine.sim.calls.recentCalls().filter((c) => c.conversationIds?.some((id) => id.endsWith('2|c1')))
        .length - (provider === 'tencent' ? 0 : own);

    await engine.publish([ev('conversation.tagged', 'full', { ...team('c1'), tag: 'customer' })]);
    await engine.eventually(async () => {
      expect((await customersOf(engine, 'full'))?.rejections).toMatchObject([
        { conversation: '2|c1', code: refusal },
      ]);
    });
    expect(attemptsOnC1()).toBe(1);

    // other work for the account (a conversation the provider accepts) does not retry c1
    const other = provider === 'tencent' ? 'o1' : 'c2'; // o1 is grouped already: no new slot
    await engine.publish([ev('conversation.tagged', 'full', { ...team(other), tag: 'customer' })]);
    await engine.eventually(() => expect(engine.groups('full').Customers).toEqual([`2|${other}`]));
    await engine.idle();
    expect(attemptsOnC1()).toBe(1);

    // room is made, then c1's facts change: now it is tried again, and lands
    await deleteOwn[0]!();
    await engine.publish([
      ev('conversation.upserted', 'full', { ...team('c1'), attributes: { note: 'vip' } }),
    ]);
    await engine.eventually(() => expect(engine.groups('full').Customers).toEqual(['2|c1', `2|${other}`]));
    expect(attemptsOnC1()).toBe(2);
    await engine.idle();
    expect((await customersOf(engine, 'full'))?.rejections).toEqual([]);
    for (const close of deleteOwn.slice(1)) await close();
  });
});
