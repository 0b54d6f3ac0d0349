import { describe, expect, it } from 'vitest';
import { applyCalls, type ConversationKey, pairKey, plan } from '../../src/plan/index.js';
import { conv, convs, emptyLedger, folder, inputOf, ledgerOf, newId, summary, YUNXIN } from './helpers.js';

describe('plan: groups', () => {
  it('first sync creates a group with the first 100 ids, then adds the rest in batches', () => {
    const members = convs(0, 250);
    const p = plan(inputOf([folder('app:work', [...members].reverse())]));
    expect(summary(p)).toEqual(['create app:work n=100', 'add app:work n=100', 'add app:work n=50']);
    const [create, add1, add2] = p.calls;
    expect(create).toEqual({ kind: 'create', folder: 'app:work', name: 'app:work', ids: convs(0, 100) });
    expect(add1).toEqual({ kind: 'add', folder: 'app:work', groupId: '', ids: convs(100, 200) });
    expect(add2).toEqual({ kind: 'add', folder: 'app:work', groupId: '', ids: convs(200, 250) });
    expect(p.desired).toEqual(new Map([['app:work', members]]));
    expect(p).toMatchObject({ overflow: [], unresolved: [], waiting: 0 });
  });

  it('orders deletes, removes, renames, creates, adds; removals before additions', () => {
    const ledger = ledgerOf({
      'app:a': { members: [conv(1), conv(2)], name: 'old' },
      'app:gone': { members: [conv(9)] },
      'user:b': { members: [conv(3)] },
    });
    const folders = [
      folder('app:a', [conv(2), conv(4)]),
      folder('user:b', [conv(5)]),
      folder('app:c', [conv(6)]),
    ];
    expect(summary(plan(inputOf(folders, ledger)))).toEqual([
      'delete app:gone',
      'remove app:a n=1',
      'remove user:b n=1',
      'rename app:a',
      'create app:c n=1',
      'add app:a n=1',
      'add user:b n=1',
    ]);
  });

  it('renames only when the name differs', () => {
    const ledger = ledgerOf({ 'app:a': { name: 'Work', members: [conv(1)] } });
    expect(plan(inputOf([folder('app:a', [conv(1)], { groupName: 'Work' })], ledger)).calls).toEqual([]);
    expect(plan(inputOf([folder('app:a', [conv(1)], { groupName: 'Job' })], ledger)).calls).toEqual([
      { kind: 'rename', folder: 'app:a', groupId: 'g-app:a', name: 'Job' },
    ]);
  });

  it('deletes groups of folders removed from the rules, listed ones first, then by key', () => {
    const ledger = ledgerOf({
      'user:z': {},
      'app:y': {},
      'app:keep': { members: [conv(1)] },
      'app:listed': { members: [] },
    });
    const folders = [folder('app:keep', [conv(1)]), folder('app:listed', [], { deleteWhenEmpty: true })];
    expect(plan(inputOf(folders, ledger)).calls).toEqual([
      { kind: 'delete', folder: 'app:listed', groupId: 'g-app:listed' },
      { kind: 'delete', folder: 'app:y', groupId: 'g-app:y' },
      { kind: 'delete', folder: 'user:z', groupId: 'g-user:z' },
    ]);
  });

  it('deleteWhenEmpty deletes an emptied app group; without it the group is kept empty', () => {
    const ledger = ledgerOf({ 'app:a': { members: [conv(1)] } });
    const deleting = plan(inputOf([folder('app:a', [], { deleteWhenEmpty: true })], ledger));
    expect(deleting.calls).toEqual([{ kind: 'delete', folder: 'app:a', groupId: 'g-app:a' }]);
    expect(deleting.desired.has('app:a')).toBe(false);

    const keeping = plan(inputOf([folder('app:a', [])], ledger));
    expect(keeping.calls).toEqual([{ kind: 'remove', folder: 'app:a', groupId: 'g-app:a', ids: [conv(1)] }]);
    expect(keeping.desired).toEqual(new Map([['app:a', []]]));
  });

  it('creates a user folder eagerly while empty, but not an empty app folder', () => {
    const p = plan(inputOf([folder('user:u', []), folder('app:a', [])]));
    expect(p.calls).toEqual([{ kind: 'create', folder: 'user:u', name: 'user:u', ids: [] }]);
    expect(p.desired).toEqual(new Map([['user:u', []]]));
  });

  it('a user folder with deleteWhenEmpty keeps its emptied group (only app folders are deleted)', () => {
    const ledger = ledgerOf({ 'user:u': { members: [conv(1)] } });
    const p = plan(inputOf([folder('user:u', [], { deleteWhenEmpty: true })], ledger));
    expect(summary(p)).toEqual(['remove user:u n=1']);
  });

  it('leaves a pending folder alone but counts its members against slots', () => {
    const ledger = ledgerOf({
      'app:p': { pending: true, members: [conv(1)], name: 'stale' },
      'app:q': { pending: true, members: [] },
    });
    const folders = [folder('app:p', [conv(2)], { groupName: 'new' }), folder('app:b', [conv(1)])];
    const p = plan(inputOf(folders, ledger, { limits: { ...YUNXIN, groupsPerConversation: 1 } }));
    expect(p.unresolved).toEqual(['app:p', 'app:q']);
    expect(p.calls).toEqual([]);
    expect(p.desired).toEqual(new Map([['app:b', [conv(1)]]]));
    expect(p.waiting).toBe(1);
  });

  it('treats a non-pending group without an id as unresolved (it cannot be addressed)', () => {
    const ledger = ledgerOf({});
    (ledger.groups as Map<string, unknown>).set('app:x', { name: 'x', pending: false });
    const p = plan(inputOf([], ledger));
    expect(p).toMatchObject({ calls: [], unresolved: ['app:x'] });
  });

  it('skips blocked pairs in both directions', () => {
    const ledger = ledgerOf({ 'app:a': { members: [conv(1), conv(2)] } });
    const blocked = new Set([pairKey('app:a', conv(1)), pairKey('app:a', conv(3))]);
    const p = plan(inputOf([folder('app:a', [conv(3), conv(4)])], ledger, { blocked }));
    expect(p.calls).toEqual([
      { kind: 'remove', folder: 'app:a', groupId: 'g-app:a', ids: [conv(2)] },
      { kind: 'add', folder: 'app:a', groupId: 'g-app:a', ids: [conv(4)] },
    ]);
    expect(p.waiting).toBe(0);
  });

  it('rejects an idsPerCall below 1 and a folder listed twice', () => {
    expect(() => plan(inputOf([], emptyLedger(), { limits: { ...YUNXIN, idsPerCall: 0 } }))).toThrow(
      RangeError,
    );
    expect(() => plan(inputOf([folder('app:a'), folder('app:a')]))).toThrow(/listed twice/);
  });
});

describe('plan: provider limits', () => {
  it('groupsPerAccount: foreign groups count, later folders overflow and lose their group', () => {
    const ledger = ledgerOf({ 'app:c': { members: [conv(3)] } }, 1);
    const folders = [
      folder('app:a', [conv(1)]),
      folder('app:empty', []), // wants no group: takes no slot and gets no overflow
      folder('user:b', []),
      folder('app:c', [conv(3)]),
    ];
    const p = plan(inputOf(folders, ledger, { limits: { ...YUNXIN, groupsPerAccount: 3 } }));
    expect(p.overflow).toEqual([{ folder: 'app:c', limit: 'groupsPerAccount' }]);
    expect([...p.desired.keys()]).toEqual(['app:a', 'user:b']);
    expect(summary(p)).toEqual(['delete app:c', 'create app:a n=1', 'create user:b']);
  });

  it('groupsPerAccount: an unresolved folder holds its slot at its priority position', () => {
    const ledger = ledgerOf({ 'app:p': { pending: true } });
    const folders = [folder('app:a', [conv(1)]), folder('app:p', []), folder('app:b', [conv(2)])];
    const p = plan(inputOf(folders, ledger, { limits: { ...YUNXIN, groupsPerAccount: 2 } }));
    expect(p.overflow).toEqual([{ folder: 'app:b', limit: 'groupsPerAccount' }]);
    expect(summary(p)).toEqual(['create app:a n=1']);
  });

  it('groupsPerAccount: capacity never goes below zero', () => {
    const p = plan(
      inputOf([folder('user:a')], emptyLedger(), { limits: { ...YUNXIN, groupsPerAccount: 1 } }),
    );
    expect(p.calls).toHaveLength(1);
    const full = plan(
      inputOf([folder('user:a')], ledgerOf({}, 5), { limits: { ...YUNXIN, groupsPerAccount: 1 } }),
    );
    expect(full).toMatchObject({ calls: [], overflow: [{ folder: 'user:a', limit: 'groupsPerAccount' }] });
  });

  it('groupsPerConversation: higher-priority folders keep the conversation', () => {
    const folders = [
      folder('app:a', [conv(1), conv(2)]),
      folder('app:b', [conv(1)]),
      folder('app:c', [conv(2), conv(1)]),
    ];
    const p = plan(inputOf(folders, emptyLedger(), { limits: { ...YUNXIN, groupsPerConversation: 2 } }));
    expect(p.desired).toEqual(
      new Map([
        ['app:a', [conv(1), conv(2)]],
        ['app:b', [conv(1)]],
        ['app:c', [conv(2)]],
      ]),
    );
    expect(p.overflow).toEqual([{ folder: 'app:c', conversation: conv(1), limit: 'groupsPerConversation' }]);
  });

  it('conversationsPerGroup: the most recent win, ties by key, missing recency is 0', () => {
    const recency = new Map<ConversationKey, number>([
      [conv(5), 50],
      [conv(1), 10],
      [conv(3), 10],
      [conv(4), -1],
    ]);
    const folders = [folder('app:a', [conv(1), conv(2), conv(3), conv(4), conv(5)])];
    const p = plan(
      inputOf(folders, emptyLedger(), { recency, limits: { ...YUNXIN, conversationsPerGroup: 3 } }),
    );
    expect(p.desired.get('app:a')).toEqual([conv(1), conv(3), conv(5)]);
    expect(p.overflow).toEqual([
      { folder: 'app:a', conversation: conv(2), limit: 'conversationsPerGroup' },
      { folder: 'app:a', conversation: conv(4), limit: 'conversationsPerGroup' },
    ]);
  });

  it('overflow is ordered by folder priority, then conversation key', () => {
    const folders = [
      folder('app:z', [conv(9), conv(8), conv(7)]),
      folder('app:a', [conv(9), conv(8), conv(7)]),
      folder('app:m', [conv(1)]),
    ];
    const limits = { ...YUNXIN, groupsPerConversation: 1, groupsPerAccount: 2 };
    expect(plan(inputOf(folders, emptyLedger(), { limits })).overflow).toEqual([
      { folder: 'app:a', conversation: conv(7), limit: 'groupsPerConversation' },
      { folder: 'app:a', conversation: conv(8), limit: 'groupsPerConversation' },
      { folder: 'app:a', conversation: conv(9), limit: 'groupsPerConversation' },
      { folder: 'app:m', limit: 'groupsPerAccount' },
    ]);
  });

  it('is deterministic: member order and repeated runs do not change the plan', () => {
    const members = convs(0, 40);
    const shuffled = [...members].sort((a, b) => ((a.charCodeAt(6) * 7) % 11) - ((b.charCodeAt(6) * 7) % 11));
    const limits = { ...YUNXIN, idsPerCall: 7, groupsPerConversation: 1, conversationsPerGroup: 25 };
    const make = (m: ConversationKey[]) =>
      inputOf([folder('app:a', m), folder('app:b', [...m].reverse())], emptyLedger(), { limits });
    const first = plan(make(members));
    expect(plan(make(members))).toEqual(first);
    expect(plan(make(shuffled))).toEqual(first);
  });
});

describe('plan: slots', () => {
  it('holds back an add while the conversation is in groupsPerConversation groups', () => {
    // conv 1 is in a and b (limit 2); the rules move it from b to c, and a pending group
    // also holds conv 2, so c may add conv 1 only after b's removal, which runs first.
    const ledger = ledgerOf({
      'app:a': { members: [conv(1), conv(2)] },
      'app:b': { members: [conv(1)] },
      'app:p': { pending: true, members: [conv(2)] },
    });
    const folders = [
      folder('app:a', [conv(1), conv(2)]),
      folder('app:b', []),
      folder('app:c', [conv(1), conv(2)]),
    ];
    const limits = { ...YUNXIN, groupsPerConversation: 2 };
    const p = plan(inputOf(folders, ledger, { limits }));
    expect(summary(p)).toEqual(['remove app:b n=1', 'create app:c n=1']);
    expect(p.calls[1]).toMatchObject({ ids: [conv(1)] });
    expect(p.waiting).toBe(1);
  });

  it('a blocked removal frees no slot', () => {
    const ledger = ledgerOf({ 'app:a': { members: [conv(1)] } });
    const folders = [folder('app:b', [conv(1)]), folder('app:a', [])];
    const limits = { ...YUNXIN, groupsPerConversation: 1, groupsPerAccount: 2 };
    const free = plan(inputOf(folders, ledger, { limits }));
    expect(summary(free)).toEqual(['remove app:a n=1', 'create app:b n=1']);
    const blocked = plan(inputOf(folders, ledger, { limits, blocked: new Set([pairKey('app:a', conv(1))]) }));
    expect(blocked.calls).toEqual([]);
    expect(blocked.waiting).toBe(1);
  });

  it('deleting a group frees its slots; the held-back add goes through on the next plan', () => {
    const ledger = ledgerOf({ 'app:old': { members: [conv(1)] }, 'app:b': { members: [conv(1)] } });
    const folders = [folder('app:a', [conv(1)]), folder('app:b', [])];
    const limits = { ...YUNXIN, groupsPerConversation: 1 };
    const p = plan(inputOf(folders, ledger, { limits }));
    // app:old's deletion frees conv 1's only slot; app:b's removal is still planned
    expect(summary(p)).toEqual(['delete app:old', 'remove app:b n=1', 'create app:a n=1']);
    expect(p.waiting).toBe(0);
  });

  it('without mixed mode, the slot rule settles in two rounds', () => {
    const ledger = ledgerOf({ 'app:b': { members: convs(0, 3) } });
    const folders = [folder('app:a', convs(0, 3)), folder('app:b', [])];
    const input = inputOf(folders, ledger, { limits: { ...YUNXIN, groupsPerConversation: 1 } });
    const first = plan(input);
    expect(first.waiting).toBe(0);
    expect(summary(first)).toEqual(['remove app:b n=3', 'create app:a n=3']);
    const next = applyCalls(ledger, first.calls, newId);
    expect(plan({ ...input, ledger: next }).calls).toEqual([]);
  });

  it('mixed mode ignores the slot rule', () => {
    const ledger = ledgerOf({ 'app:b': { members: [conv(1)] }, 'app:x': { members: [conv(1)] } });
    const folders = [folder('app:a', [conv(1)]), folder('app:b', [conv(1)]), folder('app:x', [])];
    const limits = { ...YUNXIN, groupsPerConversation: 2, mixedMembershipUpdate: true };
    const p = plan(inputOf(folders, ledger, { limits }));
    expect(summary(p)).toEqual(['update app:x -1+0', 'create app:a n=1']);
    expect(p.waiting).toBe(0);
  });

  it('holds back adds past conversationsPerGroup while a blocked removal keeps a member', () => {
    const ledger = ledgerOf({ 'app:a': { members: [conv(1), conv(2)] } });
    const limits = { ...YUNXIN, conversationsPerGroup: 2 };
    const blocked = new Set([pairKey('app:a', conv(1))]);
    const p = plan(inputOf([folder('app:a', [conv(2), conv(3)])], ledger, { limits, blocked }));
    expect(p.calls).toEqual([]);
    expect(p.waiting).toBe(1);
  });
});

describe('plan: mixed membership updates', () => {
  it('packs removes first, then adds, at most idsPerCall per call', () => {
    const ledger = ledgerOf({ 'app:a': { members: convs(0, 5) } });
    const limits = { ...YUNXIN, idsPerCall: 4, mixedMembershipUpdate: true };
    const p = plan(inputOf([folder('app:a', convs(5, 10))], ledger, { limits }));
    expect(p.calls).toEqual([
      { kind: 'update', folder: 'app:a', groupId: 'g-app:a', remove: convs(0, 4), add: [] },
      { kind: 'update', folder: 'app:a', groupId: 'g-app:a', remove: [conv(4)], add: convs(5, 8) },
      { kind: 'update', folder: 'app:a', groupId: 'g-app:a', remove: [], add: convs(8, 10) },
    ]);
  });

  it('a create still carries the first adds; the rest are adds to the new group', () => {
    const limits = { ...YUNXIN, idsPerCall: 4, mixedMembershipUpdate: true };
    const ledger = ledgerOf({ 'app:b': { members: [conv(0)] } });
    const p = plan(
      inputOf([folder('app:a', convs(0, 6)), folder('app:b', [conv(0), conv(9)])], ledger, { limits }),
    );
    expect(summary(p)).toEqual(['update app:b -0+1', 'create app:a n=4', 'add app:a n=2']);
    expect(p.calls[2]).toEqual({ kind: 'add', folder: 'app:a', groupId: '', ids: convs(4, 6) });
  });
});

describe('applyCalls', () => {
  it('simulates a plan without touching the input ledger', () => {
    const ledger = ledgerOf({
      'app:a': { members: [conv(1)], name: 'old' },
      'app:gone': { members: [conv(2)] },
    });
    const p = plan(
      inputOf([folder('app:a', [conv(2)], { groupName: 'A' }), folder('user:b', convs(0, 5))], ledger, {
        limits: { ...YUNXIN, idsPerCall: 2 },
      }),
    );
    const after = applyCalls(ledger, p.calls, newId);
    expect(after.groups).toEqual(
      new Map([
        ['app:a', { groupId: 'g-app:a', name: 'A', pending: false }],
        ['user:b', { groupId: 'new-user:b', name: 'user:b', pending: false }],
      ]),
    );
    expect(after.members).toEqual(
      new Map([
        ['app:a', new Set([conv(2)])],
        ['user:b', new Set(convs(0, 5))],
      ]),
    );
    expect(ledger.groups.get('app:a')?.name).toBe('old');
    expect(ledger.members.get('app:a')).toEqual(new Set([conv(1)]));
    expect(ledger.groups.has('app:gone')).toBe(true);
  });

  it('refuses calls that do not fit the ledger', () => {
    const ledger = ledgerOf({ 'app:a': {}, 'app:p': { pending: true } });
    const add = (folder: 'app:a' | 'app:p' | 'app:x', groupId: string) => [
      { kind: 'add' as const, folder, groupId, ids: [conv(1)] },
    ];
    expect(() => applyCalls(ledger, add('app:a', 'wrong'), newId)).toThrow(/not its group/);
    expect(() => applyCalls(ledger, add('app:a', ''), newId)).toThrow(/not its group/);
    expect(() => applyCalls(ledger, add('app:p', ''), newId)).toThrow(/no confirmed group/);
    expect(() => applyCalls(ledger, add('app:x', ''), newId)).toThrow(/no confirmed group/);
    expect(() =>
      applyCalls(ledger, [{ kind: 'create', folder: 'app:a', name: 'a', ids: [] }], newId),
    ).toThrow(/already has a group/);
  });
});

describe('plan: scale', () => {
  it('plans 50 folders over 5000 conversations quickly', () => {
    const all = convs(0, 5000);
    const recency = new Map(all.map((c, i) => [c, (i * 7919) % 5000]));
    // each folder takes a stride of the pool: 1250 members, so several limits bite
    const folders = Array.from({ length: 50 }, (_, i) =>
      folder(
        `app:f${i}`,
        all.filter((_, j) => (j + i) % 4 === 0),
      ),
    );
    const ledger = ledgerOf(
      Object.fromEntries(
        folders.slice(0, 25).map((f, i) => [f.key, { members: all.slice(i * 100, i * 100 + 900) }]),
      ),
    );
    const input = inputOf(folders, ledger, { recency, limits: { ...YUNXIN, groupsPerAccount: 60 } });
    // this thread's CPU time, not the wall clock: a loaded machine stretches the latter
    const started = process.threadCpuUsage();
    const p = plan(input);
    const { user, system } = process.threadCpuUsage(started);
    expect(p.desired.size).toBe(50);
    expect(plan(input)).toEqual(p);
    // generous bound for slow CI machines; it takes tens of milliseconds
    expect((user + system) / 1000).toBeLessThan(2000);
  });
});
