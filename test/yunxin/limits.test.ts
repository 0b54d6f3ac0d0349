import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/simulators/yunxin/server.js';
import { checkSum } from '../../src/yunxin/auth.js';
import { fetchJson, rejectionOf, type SimulatorHarness, simulatorWithClient } from '../support/simulator.js';

let h: SimulatorHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const start = async (opts: SimulatorOptions = {}) => {
  h = await simulatorWithClient(opts);
  return h;
};
const ids = (owner: string, n: number) => Array.from({ length: n }, (_, i) => `${owner}|2|t${i}`);

describe('simulator limits, as Yunxin enforces them', () => {
  it('a conversation belongs to at most 5 groups: the 6th add fails that id alone with 110304', async () => {
    const { client } = await start();
    for (let i = 0; i < 5; i++)
      await client.createGroup({ accountId: 'a', name: `g${i}`, conversationIds: ['a|1|x'] });
    const sixth = await client.createGroup({
      accountId: 'a',
      name: 'g5',
      conversationIds: ['a|1|x', 'a|1|y'],
    });
    expect(sixth.succeeded).toEqual(['a|1|y']);
    expect(sixth.failed).toEqual([
      { conversationId: 'a|1|x', code: 110304, msg: 'conversation belonged group limit', kind: 'permanent' },
    ]);
  });

  it('groups per account (116435) and conversations per group (116437), configurable', async () => {
    const { client } = await start({ limits: { groupsPerAccount: 2, conversationsPerGroup: 3 } });
    await client.createGroup({ accountId: 'a', name: 'one' });
    const { group } = await client.createGroup({ accountId: 'a', name: 'two', conversationIds: ids('a', 2) });
    expect(await rejectionOf(client.createGroup({ accountId: 'a', name: 'three' }))).toMatchObject({
      code: 116435,
      kind: 'permanent',
    });
    const res = await client.updateGroup({
      accountId: 'a',
      groupId: group.groupId,
      membership: { op: 'add', conversationIds: ['a|2|t2', 'a|2|t3'] },
    });
    expect(res.succeeded).toEqual(['a|2|t2']);
    expect(res.failed.map((f) => [f.conversationId, f.code])).toEqual([['a|2|t3', 116437]]);
  });

  it('an id owned by another account fails alone (110302); ids of several owners fail the call (110301)', async () => {
    const { client } = await start();
    const res = await client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['b|1|x'] });
    expect(res.failed.map((f) => f.code)).toEqual([110302]);
    expect(
      await rejectionOf(
        client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|1|x', 'b|1|x'] }),
      ),
    ).toMatchObject({ code: 110301, kind: 'permanent' });
  });

  it('unknown group: 116404 on update, get and delete', async () => {
    const { client } = await start();
    for (const call of [
      client.updateGroup({ accountId: 'a', groupId: '77', name: 'x' }),
      client.getGroup({ accountId: 'a', groupId: '77' }),
      client.deleteGroup({ accountId: 'a', groupId: '77' }),
    ]) {
      expect(await rejectionOf(call)).toMatchObject({ code: 116404 });
    }
  });

  it('strict conversations: adding an id with no conversation answers 110404 for it', async () => {
    const { sim, client } = await start({ strictConversations: true });
    sim.state.seedConversations(['a|1|known']);
    const res = await client.createGroup({
      accountId: 'a',
      name: 'g',
      conversationIds: ['a|1|known', 'a|1|new'],
    });
    expect(res.succeeded).toEqual(['a|1|known']);
    expect(res.failed.map((f) => [f.conversationId, f.code])).toEqual([['a|1|new', 110404]]);
  });

  it('repeating an add or a remove is a success by default', async () => {
    const { client } = await start();
    const { group } = await client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|1|x'] });
    const again = await client.updateGroup({
      accountId: 'a',
      groupId: group.groupId,
      membership: { op: 'add', conversationIds: ['a|1|x'] },
    });
    expect(again).toMatchObject({ succeeded: ['a|1|x'], failed: [] });
    const notMember = await client.updateGroup({
      accountId: 'a',
      groupId: group.groupId,
      membership: { op: 'remove', conversationIds: ['a|1|y'] },
    });
    expect(notMember).toMatchObject({ succeeded: ['a|1|y'], failed: [] });
  });

  it('a 417 in failed_list is a refusal (MULTI_LOGIN_FORBIDDEN), never counted as done', async () => {
    const { sim, client } = await start({ repeatMembership: 'fail' });
    const { group } = await client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|1|x'] });
    const again = await client.updateGroup({
      accountId: 'a',
      groupId: group.groupId,
      membership: { op: 'add', conversationIds: ['a|1|x', 'a|1|y'] },
    });
    expect(again.failed).toEqual([
      { conversationId: 'a|1|x', code: 417, msg: expect.any(String), kind: 'permanent' },
    ]);
    expect(again.succeeded).toEqual(['a|1|y']);
    const raw = await fetchJson(`${sim.url}/_sim/calls`);
    expect(raw.byEndpoint['group.update']).toEqual({ 200: 1 });
    expect(sim.state.snapshot('a')[0]!.members).toEqual(['a|1|x', 'a|1|y']);
  });

  it('the simulator refuses more than 100 ids (414) and counts the oversized call', async () => {
    const { sim } = await start();
    const curTime = String(Math.floor(Date.now() / 1000));
    const res = await fetchJson(`${sim.url}/im/v2/conversation_groups`, {
      method: 'POST',
      headers: {
        AppKey: 'demo-app-key',
        Nonce: 'n1',
        CurTime: curTime,
        CheckSum: checkSum('demo-app-secret', 'n1', curTime),
      },
      body: JSON.stringify({ account_id: 'a', name: 'g', conversation_ids: ids('a', 101) }),
    });
    expect(res.code).toBe(414);
    expect(res.msg).toContain('conversation_ids');
    expect(sim.calls.snapshot()).toMatchObject({ maxIdsInCall: 101, callsOverIdLimit: 1 });
    expect(sim.state.snapshot('a')).toEqual([]);
  });
});

describe('simulator authentication', () => {
  const call = (url: string, headers: Record<string, string>) =>
    fetchJson(`${url}/im/v2/conversation_groups?account_id=a`, { headers });

  it('accepts a correct CheckSum and answers 414 to a wrong one, a stale CurTime or an unknown AppKey', async () => {
    const { sim } = await start();
    const now = Math.floor(Date.now() / 1000);
    const signed = (secret: string, curTime: number, appKey = 'demo-app-key') => ({
      AppKey: appKey,
      Nonce: 'abc',
      CurTime: String(curTime),
      CheckSum: checkSum(secret, 'abc', String(curTime)),
    });
    expect((await call(sim.url, signed('demo-app-secret', now))).code).toBe(200);
    // ±300 s is the window; 10 s of margin, so a slow machine between here and the call cannot tip it
    expect((await call(sim.url, signed('demo-app-secret', now - 290))).code).toBe(200);
    const refused = [
      signed('wrong-secret', now),
      signed('demo-app-secret', now - 310),
      signed('demo-app-secret', now + 310),
      signed('demo-app-secret', now, 'other-app'),
      { ...signed('demo-app-secret', now), Nonce: 'x'.repeat(129) },
      {},
    ];
    for (const headers of refused)
      expect((await call(sim.url, headers as Record<string, string>)).code).toBe(414);
  });
});
