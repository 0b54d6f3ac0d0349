import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefusedLocally, type SimulatorHarness, simulatorWithClient } from '../support/simulator.js';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await simulatorWithClient();
});
afterAll(() => h.close());

const ids = (n: number) => Array.from({ length: n }, (_, i) => `a|2|t${i}`);

describe('bad input is refused locally, with no request sent', () => {
  it.each([
    [
      'malformed id',
      () => h.client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|9|x'] }),
      'conversationIds[0]',
    ],
    [
      'id with a | in a part',
      () => h.client.createGroup({ accountId: 'a', name: 'g', conversationIds: ['a|1|x|y'] }),
      'conversationIds[0]',
    ],
    [
      '101 ids on create',
      () => h.client.createGroup({ accountId: 'a', name: 'g', conversationIds: ids(101) }),
      'at most 100 ids per call (got 101)',
    ],
    [
      '101 ids on update',
      () =>
        h.client.updateGroup({
          accountId: 'a',
          groupId: '1',
          membership: { op: 'add', conversationIds: ids(101) },
        }),
      'membership.conversationIds: at most 100',
    ],
    [
      'empty membership change',
      () =>
        h.client.updateGroup({
          accountId: 'a',
          groupId: '1',
          membership: { op: 'remove', conversationIds: [] },
        }),
      'must not be empty',
    ],
    ['empty name', () => h.client.createGroup({ accountId: 'a', name: '  ' }), 'name: must not be empty'],
    [
      'empty rename',
      () => h.client.updateGroup({ accountId: 'a', groupId: '1', name: '' }),
      'name: must not be empty',
    ],
    [
      'update with nothing to change',
      () => h.client.updateGroup({ accountId: 'a', groupId: '1' }),
      'nothing to change',
    ],
    ['empty account', () => h.client.listGroups(''), 'accountId: must not be empty'],
    ['non-numeric group id', () => h.client.getGroup({ accountId: 'a', groupId: '12abc' }), 'groupId'],
    [
      '101 group ids',
      () => h.client.batchGetGroups({ accountId: 'a', groupIds: ids(101).map((_, i) => String(i + 1)) }),
      'groupIds: at most 100',
    ],
    [
      'long server_extension',
      () => h.client.updateConversation({ conversationId: 'a|1|b', serverExtension: 'x'.repeat(1025) }),
      'at most 1024',
    ],
    ['malformed conversation id', () => h.client.getConversation('nope'), 'conversationId'],
    [
      'page size 0',
      () => h.client.listConversations({ accountId: 'a', limit: 0 }),
      'limit: must be an integer 1-100',
    ],
  ])('%s', async (_, call, message) => {
    await expectRefusedLocally(h.sim, call, message);
  });

  it('exactly 100 ids is fine, and repeated ids are sent once', async () => {
    const res = await h.client.createGroup({
      accountId: 'a',
      name: 'g',
      conversationIds: [...ids(100), 'a|2|t0'],
    });
    expect(res.succeeded).toHaveLength(100);
    expect(h.sim.calls.snapshot().maxIdsInCall).toBe(100);
  });
});
