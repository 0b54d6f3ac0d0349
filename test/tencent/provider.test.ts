import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { desiredState } from '../../src/plan/desired.js';
import type { ConversationKey, FolderKey } from '../../src/plan/types.js';
import { TencentProvider, tencentProfile, truncateUtf8 } from '../../src/tencent/provider.js';
import { rejectionOf, type TencentHarness, tencentWithClient } from '../support/simulator.js';

const keys = (...k: string[]) => k as ConversationKey[];
const folder = (key: string) => key as FolderKey;

describe('Tencent profile: limits and group names', () => {
  it('has the documented limits; a configured value wins', () => {
    expect(tencentProfile().limits).toEqual({
      idsPerCall: 100,
      groupsPerConversation: 20,
      groupsPerAccount: 20,
      conversationsPerGroup: 1000,
      conversationsPerAccount: 1000,
      mixedMembershipUpdate: true,
      uniqueGroupNames: true,
      createsEmptyGroups: false,
    });
    expect(tencentProfile({ groupsPerAccount: 10 }).limits.groupsPerAccount).toBe(10);
    expect(tencentProfile({ conversationsPerAccount: 500 }).limits.conversationsPerAccount).toBe(500);
  });

  it.each([
    ['Projects', 'Projects'],
    ['x'.repeat(32), 'x'.repeat(32)],
    ['Design reviews for the whole company', 'Design reviews for the whole com'], // cut at 32 bytes
    [`${'x'.repeat(31)} and more`, 'x'.repeat(31)], // a space left at the end is dropped
    ['项目'.repeat(6), '项目项目项目项目项目'], // 3-byte characters: 10 fit in 32 bytes
    [`${'a'.repeat(27)}👨‍👩‍👧‍👦`, 'a'.repeat(27)], // a 25-byte emoji sequence is kept whole or not at all
    [`${'a'.repeat(28)}é`, `${'a'.repeat(28)}é`], // é: 2 bytes, fits
  ])('groupName(%j) = %j, at most 32 UTF-8 bytes', (name, expected) => {
    const { groupName } = tencentProfile();
    expect(groupName(name)).toBe(expected);
    expect(Buffer.byteLength(groupName(name))).toBeLessThanOrEqual(32);
    expect(groupName(name)).toBe(groupName(name));
  });

  it('keeps a suffix whole, shortening the name before it', () => {
    expect(tencentProfile().groupName('x'.repeat(40), ' (2)')).toBe(`${'x'.repeat(28)} (2)`);
    expect(truncateUtf8('ab', 1)).toBe('a');
  });

  it('folders whose group names collide get numbered names, in priority order', () => {
    const input = desiredState(
      {
        facts: { views: [], recency: new Map(), removed: new Set() },
        userFolders: [
          { folder: { id: 'mine', name: 'Customers' }, createdAt: 1 },
          { folder: { id: 'long1', name: `${'L'.repeat(40)}1` }, createdAt: 2 },
          { folder: { id: 'long2', name: `${'L'.repeat(40)}2` }, createdAt: 3 },
        ],
        ledger: { groups: new Map(), members: new Map(), foreignGroups: 0 },
        rejections: new Map(),
        retries: new Map(),
      },
      [
        {
          id: 'customers',
          name: 'Customers',
          rule: { attr: 'tags', has: 'customer' },
          deleteWhenEmpty: false,
        },
      ],
      tencentProfile(),
      0,
    ).input;
    expect(input.folders.map((f) => [f.key, f.groupName, f.createEagerly])).toEqual([
      ['app:customers', 'Customers', false],
      ['user:mine', 'Customers (2)', false],
      ['user:long1', 'L'.repeat(32), false],
      ['user:long2', `${'L'.repeat(28)} (2)`, false],
    ]);
  });
});

describe('TencentProvider against the simulator', () => {
  let h: TencentHarness;
  let provider: TencentProvider;
  beforeAll(async () => {
    h = await tencentWithClient();
    provider = new TencentProvider(h.client);
  });
  afterAll(() => h.close());
  beforeEach(() => h.sim.reset());

  it('maps p2p to C2C and both team types to Tencent groups, and answers in the keys it was asked with', async () => {
    const res = await provider.create('alice', folder('app:x'), 'X', keys('1|bob', '2|team', '3|super'));
    expect(res).toEqual({ groupId: '1', succeeded: ['1|bob', '2|team', '3|super'], failed: [] });
    expect(h.sim.state.snapshot('alice')[0]?.members).toEqual(['1|bob', '2|super', '2|team']);
    // read back: a Tencent group is `3|…` only when the engine knows it as a super team
    const members = await provider.members('alice', ['1'], new Set(keys('3|super', '2|team')));
    expect(members.get('1')?.sort()).toEqual(['1|bob', '2|team', '3|super']);
    expect((await provider.members('alice', ['1', '9'])).get('9')).toEqual([]);
  });

  it('adds and removes in one call, addressed by the group name', async () => {
    await provider.create('alice', folder('app:x'), 'X', keys('1|a', '3|s'));
    const res = await provider.changeMembers(
      'alice',
      { groupId: '1', name: 'X' },
      { add: keys('1|b'), remove: keys('3|s') },
    );
    expect(res).toEqual({ succeeded: ['1|b', '3|s'], failed: [] });
    expect(h.sim.calls.count('group.update')).toBe(1);
    await provider.rename('alice', { groupId: '1', name: 'X' }, 'Y');
    await provider.delete('alice', { groupId: '1', name: 'Y' });
    expect(h.sim.state.snapshot('alice')).toEqual([]);
    const err = await rejectionOf(provider.delete('alice', { groupId: '1', name: 'Y' }));
    expect(provider.condition(err as never)).toBe('group_missing');
  });

  it('lists groups, marking as managed those whose name the engine expects', async () => {
    await provider.create('alice', folder('app:projects'), 'Projects', keys('1|a'));
    await provider.create('alice', folder('app:x'), 'Own', keys('1|a'));
    const groups = await provider.listGroups('alice', new Map([['Projects', folder('app:projects')]]));
    expect(groups).toEqual([
      { groupId: '1', name: 'Projects', folder: 'app:projects' },
      { groupId: '2', name: 'Own' },
    ]);
  });

  it('a create refused because the name is taken is ambiguous (list and adopt); other refusals stay', async () => {
    await provider.create('alice', folder('app:projects'), 'Projects', keys('1|a'));
    const taken = await rejectionOf(
      provider.create('alice', folder('app:projects'), 'Projects', keys('1|b')),
    );
    expect(taken).toMatchObject({ code: 50002, kind: 'ambiguous' });
    expect(taken.msg).toContain('adopting it');
    const small = await tencentWithClient({ limits: { groupsPerAccount: 1 } });
    try {
      const p = new TencentProvider(small.client);
      await p.create('a', folder('app:x'), 'X', keys('1|a'));
      const full = await rejectionOf(p.create('a', folder('app:y'), 'Y', keys('1|a')));
      expect(full).toMatchObject({ code: 51010, kind: 'permanent' });
      expect(p.condition(full as never)).toBe('group_limit');
    } finally {
      await small.close();
    }
  });
});
