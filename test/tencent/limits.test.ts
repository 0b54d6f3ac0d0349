import { afterEach, describe, expect, it } from 'vitest';
import type { TencentSimulatorOptions } from '../../src/simulators/tencent/server.js';
import type { ContactKey } from '../../src/tencent/contact.js';
import { fetchJson, rejectionOf, type TencentHarness, tencentWithClient } from '../support/simulator.js';

let h: TencentHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const start = async (opts: TencentSimulatorOptions = {}) => {
  h = await tencentWithClient(opts);
  return h;
};
const users = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `1|u${i + from}`) as ContactKey[];
const contactItems = (n: number) => Array.from({ length: n }, (_, i) => ({ Type: 1, To_Account: `u${i}` }));

describe('the simulator enforces the documented limits (provider-apis.md §B3)', () => {
  it('20 groups per user: the 21st create answers 51010', async () => {
    const { client } = await start();
    for (let i = 0; i < 20; i++)
      await client.createGroup({ account: 'a', name: `g${i}`, contacts: users(1) });
    expect(
      await rejectionOf(client.createGroup({ account: 'a', name: 'g20', contacts: users(1) })),
    ).toMatchObject({
      code: 51010,
      kind: 'permanent',
    });
    expect(await client.createGroup({ account: 'b', name: 'g20', contacts: users(1) })).toMatchObject({
      group: { name: 'g20' },
    });
  });

  it('1000 grouped conversations per user: each item past it fails alone with 51008, the rest apply', async () => {
    const { client, sim } = await start({ limits: { groupedConversationsPerAccount: 150 } });
    await client.createGroup({ account: 'a', name: 'A', contacts: users(100) });
    const res = await client.createGroup({
      account: 'a',
      name: 'B',
      contacts: [...users(10), ...users(60, 100)],
    });
    // the 10 already grouped ones cost nothing; 50 of the 60 new ones fit
    expect(res.succeeded).toHaveLength(60);
    expect(res.failed).toHaveLength(10);
    expect(res.failed[0]).toMatchObject({ contact: '1|u150', code: 51008, kind: 'permanent' });
    expect(sim.calls.recentCalls().at(-1)?.failed).toBe(10);
  });

  it('names over 32 bytes answer 51011, more than 100 conversations 51006 (requests the client refuses)', async () => {
    const { url } = await start();
    const create = (name: string, n: number) =>
      fetchJson(url('create_contact_group'), {
        method: 'POST',
        body: JSON.stringify({
          From_Account: 'a',
          GroupContactItem: [{ GroupName: name, ContactItem: contactItems(n) }],
        }),
      });
    expect(await create('x'.repeat(33), 1)).toMatchObject({ ErrorCode: 51011 });
    expect(await create('项目'.repeat(6), 1)).toMatchObject({ ErrorCode: 51011 }); // 36 bytes, 12 characters
    expect(await create('x'.repeat(32), 1)).toMatchObject({ ErrorCode: 0 });
    expect(await create('big', 101)).toMatchObject({ ErrorCode: 51006 });
    const update = await fetchJson(url('update_contact_group'), {
      method: 'POST',
      body: JSON.stringify({
        From_Account: 'a',
        UpdateType: 1,
        UpdateGroup: {
          UpdateGroupType: 2,
          OldGroupName: 'x'.repeat(32),
          ContactUpdateItem: contactItems(101).map((ContactItem) => ({ ContactOptType: 1, ContactItem })),
        },
      }),
    });
    expect(update).toMatchObject({ ErrorCode: 51006 });
    expect(h!.sim.calls.snapshot().callsOverIdLimit).toBe(2);
  });

  it('one group per create and per delete (50002); an unknown group is 51009', async () => {
    const { url } = await start();
    const twoGroups = await fetchJson(url('create_contact_group'), {
      method: 'POST',
      body: JSON.stringify({
        From_Account: 'a',
        GroupContactItem: [
          { GroupName: 'A', ContactItem: contactItems(1) },
          { GroupName: 'B', ContactItem: contactItems(1) },
        ],
      }),
    });
    expect(twoGroups).toMatchObject({ ErrorCode: 50002 });
    const deleteTwo = await fetchJson(url('del_contact_group'), {
      method: 'POST',
      body: JSON.stringify({ From_Account: 'a', GroupName: ['A', 'B'] }),
    });
    expect(deleteTwo).toMatchObject({ ErrorCode: 50002 });
    const rename = await fetchJson(url('update_contact_group'), {
      method: 'POST',
      body: JSON.stringify({
        From_Account: 'a',
        UpdateType: 1,
        UpdateGroup: { UpdateGroupType: 1, OldGroupName: 'nope', NewGroupName: 'x' },
      }),
    });
    expect(rename).toMatchObject({ ErrorCode: 51009, ActionStatus: 'FAIL' });
  });
});
