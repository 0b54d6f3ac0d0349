import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { type Engine, ev, PROVIDERS, startEngine, team } from '../support/engine.js';

let e: Engine<SimulatorBase> | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

const T = 1_763_900_000_000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(PROVIDERS)('groups per account (%s)', (provider) => {
  /** the provider's "too many groups" code */
  const groupLimitCode = provider === 'tencent' ? 51010 : 116435;

  it('groups per account: folders beyond the limit get no group (rules-file order wins)', async () => {
    e = await startEngine({
      provider,
      env: { GROUPS_PER_ACCOUNT: '2' },
      sim: { limits: { groupsPerAccount: 2 } },
    });
    await e.publish([
      ev('conversation.upserted', 'g', { ...team('p'), attributes: { kind: 'project' } }),
      ev('conversation.pinned', 'g', team('p')),
      ev('conversation.tagged', 'g', { ...team('c'), tag: 'customer' }),
      ev('conversation.upserted', 'g', { conversation: { type: 1, target: 'd' }, attributes: {} }),
    ]);
    await e.eventually(() => expect(e!.groups('g')).toEqual({ Projects: ['2|p'], Customers: ['2|c'] }));
    await e.idle();
    // first contact lists the account's groups once, then only the creates
    expect(e.sim.calls.snapshot().byEndpoint).toEqual({
      'group.list': { [e.successCode]: 1 },
      'group.create': { [e.successCode]: 2 },
    });
  });

  it.runIf(provider === 'tencent')(
    "Tencent's default of 20 groups: the 21st folder and later get none, and nothing is refused",
    async () => {
      e = await startEngine({ provider }); // GROUPS_PER_ACCOUNT unset: Tencent's 20
      const include = [{ type: 2, target: 'x' }];
      await e.publish([
        ev('conversation.tagged', 'many', { ...team('x'), tag: 'customer' }),
        ...range(20).map((i) => ({
          id: `many-f${i}`,
          type: 'folder.upserted',
          account: 'many',
          at: T + i,
          folder: { id: `f${i}`, name: `Folder ${i}`, include },
        })),
      ]);
      // Customers and the 19 oldest user folders; Projects and Direct messages are empty
      const expected = Object.fromEntries([
        ['Customers', ['2|x']],
        ...range(19).map((i) => [`Folder ${i}`, ['2|x']]),
      ]);
      await e.eventually(() => expect(e!.groups('many')).toEqual(expected));
      await e.idle();
      expect(e.sim.calls.snapshot().byEndpoint).toEqual({
        'group.list': { 0: 1 },
        'group.create': { 0: 20 },
      });
    },
  );

  it('a provider that allows fewer groups than configured: the folder fails, with a warning', async () => {
    // GROUPS_PER_ACCOUNT stays at the provider's default (Yunxin 50, Tencent 20)
    e = await startEngine({ provider, sim: { limits: { groupsPerAccount: 2 } } });
    await e.publish([
      ev('conversation.tagged', 'tight', { ...team('c'), tag: 'customer' }),
      ev('conversation.upserted', 'tight', { ...team('p'), attributes: { kind: 'project' } }),
      ev('conversation.pinned', 'tight', team('p')),
      ev('conversation.upserted', 'tight', { conversation: { type: 1, target: 'd' }, attributes: {} }),
    ]);
    await e.eventually(() => expect(e!.groups('tight')).toEqual({ Projects: ['2|p'], Customers: ['2|c'] }));
    await e.eventually(() => expect(e!.logs()).toContain('is it set too high?'));
    // the provider's own code for it (that the folder is then retried after RETRY_MAX_MS, not in
    // a loop, is test/reconcile/executor.test.ts's "the groups per account limit")
    expect(e.sim.calls.snapshot().byEndpoint['group.create']?.[groupLimitCode]).toBeGreaterThanOrEqual(1);
  });
});

describe('provider limits become deterministic overflow, not provider errors', () => {
  it('conversations per group: the most recent conversations win', async () => {
    e = await startEngine({
      env: { CONVERSATIONS_PER_GROUP: '3' },
      sim: { limits: { conversationsPerGroup: 3 } },
    });
    await e.publish(
      [5, 1, 4, 2, 3].map((n) => ({
        id: `cap-${n}`,
        type: 'conversation.tagged',
        account: 'cap',
        at: T + n,
        ...team(`c${n}`),
        tag: 'customer',
      })),
    );
    await e.eventually(() => expect(e!.groups('cap')).toEqual({ Customers: ['2|c3', '2|c4', '2|c5'] }));
    // c1 becomes the newest: it displaces the oldest member (c3)
    await e.publish([
      {
        id: 'cap-9',
        type: 'conversation.upserted',
        account: 'cap',
        at: T + 9,
        ...team('c1'),
        attributes: { x: 1 },
      },
    ]);
    await e.eventually(() => expect(e!.groups('cap')).toEqual({ Customers: ['2|c1', '2|c4', '2|c5'] }));
  });

  it("Tencent's conversations per account: the newest of the highest-priority folders, and a freed slot is reused", async () => {
    e = await startEngine({
      provider: 'tencent',
      env: { CONVERSATIONS_PER_ACCOUNT: '4' },
      sim: { limits: { groupedConversationsPerAccount: 4 } },
    });
    const project = (t: string) =>
      ev('conversation.upserted', 'total', { ...team(t), attributes: { kind: 'project', pinned: true } });
    const customer = (t: string) => ev('conversation.tagged', 'total', { ...team(t), tag: 'customer' });
    // Projects comes first in the rules: its three take three slots; Customers gets the newest one
    await e.publish([
      project('p1'),
      customer('c1'),
      project('p2'),
      customer('c2'),
      project('p3'),
      customer('c3'),
    ]);
    await e.eventually(() =>
      expect(e!.groups('total')).toEqual({ Projects: ['2|p1', '2|p2', '2|p3'], Customers: ['2|c3'] }),
    );
    // p1 leaves Projects: its slot goes to the newest customer not yet grouped
    await e.publish([ev('conversation.unpinned', 'total', team('p1'))]);
    await e.eventually(() =>
      expect(e!.groups('total')).toEqual({ Projects: ['2|p2', '2|p3'], Customers: ['2|c2', '2|c3'] }),
    );
    await e.idle();
    // the provider never had to refuse a conversation over its total (51008)
    expect(e.sim.calls.recentCalls().every((c) => c.failed === 0)).toBe(true);
  });

  it('groups per conversation: app folders first, then user folders by creation', async () => {
    e = await startEngine({
      env: { GROUPS_PER_CONVERSATION: '3' },
      sim: { limits: { groupsPerConversation: 3 } },
    });
    const include = [{ type: 2, target: 'x' }];
    await e.publish([
      ev('conversation.tagged', 'slots', { ...team('x'), tag: 'customer' }),
      ...['first', 'second', 'third'].map((id, i) => ({
        id: `slots-f${i}`,
        type: 'folder.upserted',
        account: 'slots',
        at: T + i,
        folder: { id, name: `Folder ${id}`, include },
      })),
    ]);
    await e.eventually(() =>
      expect(e!.groups('slots')).toEqual({
        Customers: ['2|x'],
        'Folder first': ['2|x'],
        'Folder second': ['2|x'],
        'Folder third': [],
      }),
    );
    await e.idle();
    // nothing was sent that the provider had to refuse
    expect(e.sim.calls.recentCalls().every((c) => c.failed === 0)).toBe(true);
  });
});

describe('rules changes', () => {
  it('a new rules file content re-reconciles every known account', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const path = join(dir, 'rules.json');
    copyFileSync('examples/rules.json', path);
    e = await startEngine({ env: { FOLDER_RULES: path } });
    const accounts = ['r1', 'r2', 'r3'];
    await e.publish(accounts.map((a) => ev('conversation.tagged', a, { ...team('c'), tag: 'customer' })));
    await e.eventually(() => {
      for (const a of accounts) expect(e!.groups(a)).toEqual({ Customers: ['2|c'] });
    });
    writeFileSync(
      path,
      JSON.stringify({
        folders: [{ id: 'customers', name: 'Clients', rule: { attr: 'tags', has: 'customer' } }],
      }),
    );
    await e.eventually(() => {
      for (const a of accounts) expect(e!.groups(a)).toEqual({ Clients: ['2|c'] });
    }, 20_000);
    expect(e.logs()).toContain('fleet rules installed');
  });
});
