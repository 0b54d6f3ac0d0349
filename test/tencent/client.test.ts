import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ContactKey } from '../../src/tencent/contact.js';
import { TencentError } from '../../src/tencent/errors.js';
import { fetchJson, rejectionOf, type TencentHarness, tencentWithClient } from '../support/simulator.js';

let h: TencentHarness;
beforeAll(async () => {
  h = await tencentWithClient();
});
afterAll(() => h.close());
beforeEach(() => h.sim.reset());

const k = (...keys: string[]) => keys as ContactKey[];
const users = (n: number, from = 0) => k(...Array.from({ length: n }, (_, i) => `1|u${i + from}`));

describe('TencentClient against the simulator over HTTP', () => {
  it('create_contact_group: one group with its conversations, read back by get_contact_group', async () => {
    const created = await h.client.createGroup({
      account: 'alice',
      name: 'Projects',
      contacts: k('2|@TGS#1', '1|bob'),
    });
    expect(created).toEqual({
      group: { name: 'Projects', groupId: '1' },
      succeeded: ['2|@TGS#1', '1|bob'],
      failed: [],
    });
    const all = await h.client.listAll('alice');
    expect(all.groups).toEqual([{ name: 'Projects', groupId: '1' }]);
    expect(all.contacts).toEqual([
      { contact: '2|@TGS#1', groupIds: ['1'] },
      { contact: '1|bob', groupIds: ['1'] },
    ]);
  });

  it('update_contact_group: add and remove in one call, and rename', async () => {
    await h.client.createGroup({ account: 'alice', name: 'A', contacts: k('1|x', '1|y') });
    const changed = await h.client.changeMembers({
      account: 'alice',
      name: 'A',
      add: k('1|z', '2|g'),
      remove: k('1|x'),
    });
    expect(changed).toEqual({ succeeded: ['1|z', '2|g', '1|x'], failed: [] });
    await h.client.renameGroup({ account: 'alice', name: 'A', newName: 'B' });
    expect(h.sim.state.snapshot('alice')).toMatchObject([{ name: 'B', members: ['1|y', '1|z', '2|g'] }]);
    // the old name is gone: groups are addressed by name
    expect(
      await rejectionOf(h.client.changeMembers({ account: 'alice', name: 'A', add: k('1|q') })),
    ).toMatchObject({
      code: 51009,
      kind: 'permanent',
    });
  });

  it('adding a member again and removing a non-member succeed (the simulator’s choice)', async () => {
    await h.client.createGroup({ account: 'alice', name: 'A', contacts: k('1|x') });
    expect(
      await h.client.changeMembers({ account: 'alice', name: 'A', add: k('1|x'), remove: k('1|nobody') }),
    ).toEqual({
      succeeded: ['1|x', '1|nobody'],
      failed: [],
    });
  });

  it('del_contact_group: one group; its conversations leave it; a second delete answers 51009', async () => {
    await h.client.createGroup({ account: 'alice', name: 'A', contacts: k('1|x') });
    await h.client.createGroup({ account: 'alice', name: 'B', contacts: k('1|x') });
    expect(await h.client.deleteGroup({ account: 'alice', name: 'A' })).toEqual([
      { name: 'A', groupId: '1' },
    ]);
    expect((await h.client.listAll('alice')).contacts).toEqual([{ contact: '1|x', groupIds: ['2'] }]);
    const err = await rejectionOf(h.client.deleteGroup({ account: 'alice', name: 'A' }));
    expect(err).toBeInstanceOf(TencentError);
    expect(err).toMatchObject({
      name: 'TencentError',
      code: 51009,
      kind: 'permanent',
      endpoint: 'POST /v4/recentcontact/del_contact_group',
    });
    expect(err.traceId).toMatch(/^\d+$/); // the request's `random`
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('get_contact_group pages by StartIndex / NextStartIndex until CompleteFlag 1', async () => {
    const paged = await tencentWithClient({ limits: { pageSize: 30 } });
    try {
      await paged.client.createGroup({ account: 'a', name: 'G', contacts: users(100) });
      await paged.client.changeMembers({ account: 'a', name: 'G', add: users(45, 100) });
      const first = await paged.client.listPage({ account: 'a' });
      expect(first).toMatchObject({ complete: false, nextStartIndex: 30 });
      expect(first.contacts).toHaveLength(30);
      const all = await paged.client.listAll('a');
      expect(new Set(all.contacts.map((c) => c.contact)).size).toBe(145);
      expect(paged.sim.calls.count('group.list')).toBe(1 + 5);
    } finally {
      await paged.close();
    }
  });

  it('search_contact_group: the groups of given conversations', async () => {
    await h.client.createGroup({ account: 'alice', name: 'A', contacts: k('1|x') });
    await h.client.createGroup({ account: 'alice', name: 'B', contacts: k('1|x', '2|g') });
    const found = await h.client.search({ account: 'alice', contacts: k('1|x', '1|none') });
    expect(found.contacts).toEqual([
      { contact: '1|x', groupIds: ['1', '2'] },
      { contact: '1|none', groupIds: [] },
    ]);
    expect(found.groups.map((g) => g.name)).toEqual(['A', 'B']);
  });

  it('answers business errors with HTTP 200 and the code: unknown account, taken name, empty create', async () => {
    const strict = await tencentWithClient({ knownAccounts: ['alice'] });
    try {
      expect(await rejectionOf(strict.client.listAll('mallory'))).toMatchObject({
        code: 50001,
        kind: 'permanent',
      });
      expect(await strict.client.listAll('alice')).toEqual({ groups: [], contacts: [] });
    } finally {
      await strict.close();
    }
    await h.client.createGroup({ account: 'alice', name: 'A', contacts: k('1|x') });
    await h.client.createGroup({ account: 'alice', name: 'B', contacts: k('1|x') });
    for (const call of [
      h.client.createGroup({ account: 'alice', name: 'A', contacts: k('1|y') }),
      h.client.renameGroup({ account: 'alice', name: 'B', newName: 'A' }),
      h.client.createGroup({ account: 'alice', name: 'Empty' }),
    ]) {
      expect(await rejectionOf(call)).toMatchObject({
        code: 50002,
        kind: 'permanent',
        httpStatus: undefined,
      });
    }
    const lenient = await tencentWithClient({ emptyCreate: 'allow' });
    try {
      expect((await lenient.client.createGroup({ account: 'a', name: 'Empty' })).group.name).toBe('Empty');
    } finally {
      await lenient.close();
    }
  });

  it('the wire shapes are the documented ones (raw HTTP)', async () => {
    const res = await fetchJson(h.url('create_contact_group'), {
      method: 'POST',
      body: JSON.stringify({
        From_Account: 'user15',
        GroupContactItem: [{ GroupName: 'test0', ContactItem: [{ Type: 1, To_Account: 'user0' }] }],
      }),
    });
    expect(res).toMatchObject({
      GroupResultItem: [
        {
          GroupItem: { GroupName: 'test0', GroupId: 1 },
          ResultItem: [{ ContactItem: { Type: 1, To_Account: 'user0' }, ResultCode: 0, ResultInfo: '' }],
        },
      ],
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
    });
    const page = await fetchJson(h.url('get_contact_group'), {
      method: 'POST',
      body: JSON.stringify({ From_Account: 'user15', StartIndex: 0 }),
    });
    expect(page).toMatchObject({
      ContactItem: [{ Type: 1, To_Account: 'user0', ContactGroupId: [1], StandardMark: '', CustomMark: '' }],
      GroupItem: [{ GroupName: 'test0', GroupId: 1 }],
      CompleteFlag: 1,
      ActionStatus: 'OK',
      ErrorCode: 0,
    });
  });
});

describe('an expired UserSig (70001)', () => {
  it('is signed anew and the call made once more', async () => {
    // the client's clock runs a year behind: its first signature is expired for the server;
    // it learns of it from the 70001 and signs with the clock the answer implied
    let clientNow = Date.now() - 365 * 24 * 3600 * 1000;
    let calls = 0;
    const skewed = await tencentWithClient(
      {},
      {
        now: () => clientNow,
        beforeCall: async () => {
          calls++;
          if (calls === 2) clientNow = Date.now(); // the clock is put right before the retry
        },
      },
    );
    try {
      const created = await skewed.client.createGroup({ account: 'alice', name: 'G', contacts: k('1|bob') });
      expect(created.group.name).toBe('G');
      expect(calls).toBe(2); // the retry took its own rate-limit slot
      expect(skewed.sim.calls.snapshot().byEndpoint['group.create']).toEqual({ 0: 1, 70001: 1 });
    } finally {
      await skewed.close();
    }
  });

  it('is retried once only: a UserSig that keeps expiring is an error', async () => {
    const stale = await tencentWithClient({}, { now: () => Date.now() - 365 * 24 * 3600 * 1000 });
    try {
      expect(await rejectionOf(stale.client.listAll('alice'))).toMatchObject({ code: 70001 });
      expect(stale.sim.calls.snapshot().byEndpoint['group.list']).toEqual({ 70001: 2 });
    } finally {
      await stale.close();
    }
  });
});
