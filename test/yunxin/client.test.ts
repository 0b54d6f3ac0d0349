import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRouteMissing } from '../../src/yunxin/client.js';
import { YunxinError } from '../../src/yunxin/errors.js';
import { groupConversationPageSchema } from '../../src/yunxin/schemas.js';
import { rejectionOf, type SimulatorHarness, simulatorWithClient } from '../support/simulator.js';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await simulatorWithClient();
});
afterAll(() => h.close());
beforeEach(() => h.sim.reset());

const ids = (owner: string, n: number, type = 2) =>
  Array.from({ length: n }, (_, i) => `${owner}|${type}|t${i}`);

describe('YunxinClient against the simulator over HTTP', () => {
  it('creates a group with members and reads it back every way', async () => {
    const created = await h.client.createGroup({
      accountId: 'alice',
      name: 'Projects',
      serverExtension: '{"m":1}',
      conversationIds: ['alice|2|team-42', 'alice|1|bob'],
    });
    expect(created.group).toMatchObject({ name: 'Projects', serverExtension: '{"m":1}' });
    expect(created.group.groupId).toMatch(/^\d+$/);
    expect(created.group.createTime).toBeGreaterThan(0);
    expect(created.succeeded).toEqual(['alice|2|team-42', 'alice|1|bob']);
    expect(created.failed).toEqual([]);

    const { groupId } = created.group;
    expect(await h.client.getGroup({ accountId: 'alice', groupId })).toMatchObject({
      groupId,
      name: 'Projects',
    });
    expect((await h.client.listGroups('alice')).map((g) => g.groupId)).toEqual([groupId]);
    const batch = await h.client.batchGetGroups({ accountId: 'alice', groupIds: [groupId, '999999'] });
    expect(batch.groups.map((g) => g.groupId)).toEqual([groupId]);
    expect(batch.failed).toEqual([
      { groupId: '999999', code: 116404, msg: 'conversation group not exist', kind: 'permanent' },
    ]);
    const page = await h.client.listConversations({ accountId: 'alice' });
    expect(page.items.map((c) => c.conversationId).sort()).toEqual(['alice|1|bob', 'alice|2|team-42']);
    expect(page.items[0]!.groupIds).toEqual([groupId]);
  });

  it('adds, removes, renames and changes server_extension with PATCH', async () => {
    const { group } = await h.client.createGroup({ accountId: 'alice', name: 'A' });
    const added = await h.client.updateGroup({
      accountId: 'alice',
      groupId: group.groupId,
      membership: { op: 'add', conversationIds: ids('alice', 3) },
    });
    expect(added.succeeded).toEqual(ids('alice', 3));
    const removed = await h.client.updateGroup({
      accountId: 'alice',
      groupId: group.groupId,
      membership: { op: 'remove', conversationIds: ['alice|2|t1'] },
    });
    expect(removed.succeeded).toEqual(['alice|2|t1']);
    const renamed = await h.client.updateGroup({
      accountId: 'alice',
      groupId: group.groupId,
      name: 'B',
      serverExtension: 'x',
    });
    expect(renamed.group).toMatchObject({ name: 'B', serverExtension: 'x' });
    expect(h.sim.state.snapshot('alice')[0]).toMatchObject({
      name: 'B',
      members: ['alice|2|t0', 'alice|2|t2'],
    });
  });

  it('deletes a group, and a second delete answers 116404 (permanent)', async () => {
    const { group } = await h.client.createGroup({
      accountId: 'alice',
      name: 'A',
      conversationIds: ['alice|1|bob'],
    });
    await h.client.deleteGroup({ accountId: 'alice', groupId: group.groupId });
    expect(await h.client.listGroups('alice')).toEqual([]);
    expect((await h.client.getConversation('alice|1|bob')).groupIds).toEqual([]);
    const err = await rejectionOf(h.client.deleteGroup({ accountId: 'alice', groupId: group.groupId }));
    expect(err).toBeInstanceOf(YunxinError);
    expect(err).toMatchObject({
      code: 116404,
      kind: 'permanent',
      endpoint: 'DELETE /im/v2/conversation_groups/{group_id}',
    });
    expect(err.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('without tracing, each call sends an X-custom-traceid of its own: 32 hex digits, as the SDKs do', async () => {
    const { group } = await h.client.createGroup({ accountId: 'alice', name: 'A' });
    await h.client.getGroup({ accountId: 'alice', groupId: group.groupId });
    const sent = h.sim.calls.recentCalls().map((c) => c.traceId);
    expect(sent).toHaveLength(2);
    for (const id of sent) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(sent[0]).not.toBe(sent[1]);
    expect(h.sim.calls.recentCalls().map((c) => c.traceparent)).toEqual([undefined, undefined]);
  });

  it('updates, gets and pages through conversations; unknown ids answer 414', async () => {
    await h.client.createGroup({ accountId: 'alice', name: 'A', conversationIds: ids('alice', 5) });
    const updated = await h.client.updateConversation({
      conversationId: 'alice|2|t3',
      serverExtension: 'note',
    });
    expect(updated).toMatchObject({ conversationId: 'alice|2|t3', serverExtension: 'note', type: 2 });
    expect((await h.client.getConversation('alice|2|t3')).serverExtension).toBe('note');

    const first = await h.client.listConversations({ accountId: 'alice', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    const all: string[] = [];
    for await (const c of h.client.allConversations('alice')) all.push(c.conversationId);
    expect(all.sort()).toEqual(ids('alice', 5).sort());

    for (const call of [
      h.client.updateConversation({ conversationId: 'alice|1|nobody', serverExtension: '' }),
      h.client.getConversation('alice|1|nobody'),
    ]) {
      expect(await rejectionOf(call)).toMatchObject({ code: 414, kind: 'permanent' });
    }
  });

  it('reads members by scanning conversations (the documented way), or with the opt-in group endpoint', async () => {
    const opted = await simulatorWithClient(
      { groupConversationsEndpoint: true },
      { groupConversationsEndpoint: true },
    );
    const refused = await simulatorWithClient({}, { groupConversationsEndpoint: true });
    try {
      for (const harness of [h, opted, refused]) {
        const a = await harness.client.createGroup({
          accountId: 'bob',
          name: 'A',
          conversationIds: ids('bob', 3),
        });
        const b = await harness.client.createGroup({
          accountId: 'bob',
          name: 'B',
          conversationIds: ['bob|2|t1'],
        });
        const members = await harness.client.groupMembers('bob', [a.group.groupId, b.group.groupId]);
        expect(members.get(a.group.groupId)!.sort()).toEqual(ids('bob', 3));
        expect(members.get(b.group.groupId)).toEqual(['bob|2|t1']);
      }
      const byEndpoint = (harness: SimulatorHarness) => harness.sim.calls.snapshot().byEndpoint;
      // default: the scan only, never the undocumented endpoint
      expect(byEndpoint(h)['group.conversations']).toBeUndefined();
      expect(byEndpoint(opted)['group.conversations']).toEqual({ 200: 2 });
      expect(byEndpoint(opted)['conversation.list']).toBeUndefined();
      // opted in, but the server has no such route (404): back to the scan
      expect(byEndpoint(refused)['conversation.list']).toEqual({ 200: 1 });
      const err = await rejectionOf(
        refused.client.listGroupConversations({ accountId: 'bob', groupId: '1' }),
      );
      expect(err).toMatchObject({ code: 404, httpStatus: 404 });
    } finally {
      await opted.close();
      await refused.close();
    }
  });

  it('reads the group endpoint strictly: an answer without its list is an error, never "no members"', () => {
    expect(groupConversationPageSchema.safeParse({ has_more: false }).success).toBe(false);
    expect(groupConversationPageSchema.safeParse({ items: [] }).success).toBe(true);
    // a 414 (the endpoint does not take our parameters) falls back like a 404
    expect(isRouteMissing({ code: 414 } as YunxinError)).toBe(true);
    expect(isRouteMissing({ code: 416 } as YunxinError)).toBe(false);
  });

  it('answers business errors with HTTP 200 and the code: unknown group, unknown account', async () => {
    expect(await rejectionOf(h.client.getGroup({ accountId: 'alice', groupId: '12345' }))).toMatchObject({
      code: 116404,
      httpStatus: undefined,
    });
    const strict = await simulatorWithClient({ knownAccounts: ['alice'] });
    try {
      expect(await rejectionOf(strict.client.listGroups('mallory'))).toMatchObject({
        code: 102404,
        kind: 'permanent',
      });
      expect(await strict.client.listGroups('alice')).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('keeps int64 group ids exact beyond 2^53', async () => {
    const big = await simulatorWithClient({ firstGroupId: 9007199254740993n });
    try {
      const { group } = await big.client.createGroup({ accountId: 'a', name: 'A' });
      expect(group.groupId).toBe('9007199254740993');
      expect((await big.client.getGroup({ accountId: 'a', groupId: group.groupId })).groupId).toBe(
        '9007199254740993',
      );
    } finally {
      await big.close();
    }
  });

  it('reads batch-get failures under either SDK spelling (failed_list / fail_list)', async () => {
    const java = await simulatorWithClient({ batchGetFailureKey: 'fail_list' });
    try {
      const res = await java.client.batchGetGroups({ accountId: 'a', groupIds: ['5'] });
      expect(res.failed).toEqual([
        { groupId: '5', code: 116404, msg: 'conversation group not exist', kind: 'permanent' },
      ]);
    } finally {
      await java.close();
    }
  });
});
