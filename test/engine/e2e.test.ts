import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { TencentClient } from '../../src/tencent/client.js';
import type { ContactKey } from '../../src/tencent/contact.js';
import { type Engine, ev, PROVIDERS, p2p, startEngine, team } from '../support/engine.js';
import { REDIS_SETUPS } from '../support/redis.js';

const SETUPS = PROVIDERS.flatMap((provider) => REDIS_SETUPS.map((redis) => [provider, redis] as const));

describe.each(SETUPS)('events → facts → rules → %s groups, on a %s Redis', (provider, redis) => {
  let e: Engine<SimulatorBase>;
  beforeAll(async () => {
    e = await startEngine({ provider, redis });
  });
  afterAll(() => e?.close());

  it('mirrors the example rules for every conversation event type', async () => {
    const res = await e.publish([
      ev('conversation.upserted', 'alice', { ...team('p1'), attributes: { kind: 'project' } }),
      ev('conversation.pinned', 'alice', team('p1')),
      ev('conversation.upserted', 'alice', { ...team('p2'), attributes: { kind: 'project' } }),
      ev('conversation.pinned', 'alice', team('p2')),
      ev('conversation.tagged', 'alice', { ...team('c1'), tag: 'customer' }),
      ev('conversation.upserted', 'alice', { ...p2p('bob'), attributes: {} }),
      ev('conversation.upserted', 'alice', { ...p2p('carol'), attributes: {} }),
    ]);
    expect(res).toEqual({ accepted: 7, refused: [] });
    await e.eventually(() =>
      expect(e.groups('alice')).toEqual({
        Projects: ['2|p1', '2|p2'],
        Customers: ['2|c1'],
        'Direct messages': ['1|bob', '1|carol'],
      }),
    );

    await e.publish([
      ev('conversation.unpinned', 'alice', team('p2')),
      ev('conversation.untagged', 'alice', { ...team('c1'), tag: 'customer' }),
      ev('conversation.archived', 'alice', p2p('carol')),
      ev('conversation.muted', 'alice', team('p1')),
      ev('conversation.tagged', 'alice', { ...p2p('bob'), tag: 'customer' }),
    ]);
    await e.eventually(() =>
      expect(e.groups('alice')).toEqual({
        Projects: ['2|p1'],
        Customers: ['1|bob'],
        'Direct messages': ['1|bob'],
      }),
    );

    await e.publish([
      ev('conversation.unarchived', 'alice', p2p('carol')),
      ev('conversation.removed', 'alice', p2p('bob')),
      ev('conversation.upserted', 'alice', { ...team('p1'), attributes: { kind: null } }),
    ]);
    await e.eventually(() =>
      expect(e.groups('alice')).toEqual({ Projects: [], Customers: [], 'Direct messages': ['1|carol'] }),
    );
  });

  it('user folders: created at once, lists beat rules, deleted with the folder', async () => {
    await e.publish([
      ev('conversation.upserted', 'dora', { ...team('t1'), attributes: { kind: 'project' } }),
      ev('conversation.upserted', 'dora', { ...team('t2'), attributes: { kind: 'project' } }),
      ev('folder.upserted', 'dora', { folder: { id: 'mine', name: 'Mine' } }),
    ]);
    if (provider === 'tencent') {
      // a Tencent group cannot be created empty: the folder gets its group with its first member
      await e.idle();
      expect(e.groups('dora')).toEqual({});
    } else await e.eventually(() => expect(e.groups('dora')).toEqual({ Mine: [] }));
    await e.publish([
      ev('folder.upserted', 'dora', {
        folder: {
          id: 'mine',
          name: 'My projects',
          rule: { attr: 'kind', eq: 'project' },
          exclude: [{ type: 2, target: 't2' }],
          include: [{ type: 1, target: 'zed' }],
        },
      }),
    ]);
    await e.eventually(() => expect(e.groups('dora')).toEqual({ 'My projects': ['1|zed', '2|t1'] }));
    await e.publish([ev('folder.deleted', 'dora', { folderId: 'mine' })]);
    await e.eventually(() => expect(e.groups('dora')).toEqual({}));
  });

  it.runIf(provider === 'yunxin')(
    'groups carry the documented marker; account.resync repairs drift and leaves foreign groups alone',
    async () => {
      await e.publish([ev('conversation.tagged', 'erin', { ...team('x'), tag: 'customer' })]);
      await e.eventually(() => expect(e.groups('erin')).toEqual({ Customers: ['2|x'] }));
      const [group] = (e.sim as Simulator).state.snapshot('erin');
      expect(JSON.parse(group!.serverExtension)).toEqual({
        managed_by: 'yunxin-folder-sync',
        v: 1,
        folder: 'app:customers',
      });

      // drift made behind our back: a foreign member in our group, a member removed, the user's own group
      (e.sim as Simulator).state.seedConversations(['erin|1|intruder']);
      const { YunxinClient } = await import('../../src/yunxin/client.js');
      const client = new YunxinClient({
        appKey: 'demo-app-key',
        appSecret: 'demo-app-secret',
        endpoints: [e.sim.url],
      });
      await client.updateGroup({
        accountId: 'erin',
        groupId: group!.groupId,
        membership: { op: 'add', conversationIds: ['erin|1|intruder'] },
      });
      await client.updateGroup({
        accountId: 'erin',
        groupId: group!.groupId,
        membership: { op: 'remove', conversationIds: ['erin|2|x'] },
      });
      await client.createGroup({ accountId: 'erin', name: 'Own', conversationIds: ['erin|1|intruder'] });
      await client.close();

      await e.publish([ev('account.resync', 'erin')]);
      await e.eventually(() => expect(e.groups('erin')).toEqual({ Customers: ['2|x'], Own: ['1|intruder'] }));
    },
  );
  it.runIf(provider === 'tencent')(
    "groups are known by name; account.resync repairs drift, adopts a user's group with a folder's name, leaves other groups alone",
    async () => {
      await e.publish([ev('conversation.tagged', 'erin', { ...team('x'), tag: 'customer' })]);
      await e.eventually(() => expect(e.groups('erin')).toEqual({ Customers: ['2|x'] }));

      // drift made behind our back: a foreign member in our group, a member removed, the user's
      // own group, and one the user made with exactly a folder's name before the folder needed it
      const client = new TencentClient({
        sdkappid: TENCENT_DEMO_APP.sdkappid,
        identifier: TENCENT_DEMO_APP.admin,
        secretKey: TENCENT_DEMO_APP.secretKey,
        endpoints: [e.sim.url],
      });
      const k = (key: string) => key as ContactKey;
      await client.changeMembers({
        account: 'erin',
        name: 'Customers',
        add: [k('1|intruder')],
        remove: [k('2|x')],
      });
      await client.createGroup({ account: 'erin', name: 'Own', contacts: [k('1|intruder')] });
      await client.createGroup({ account: 'erin', name: 'Direct messages', contacts: [k('1|buddy')] });
      await client.close();
      const own = e.snapshot('erin').find((g) => g.name === 'Direct messages')!.groupId;

      await e.publish([
        ev('account.resync', 'erin'),
        ev('conversation.upserted', 'erin', { ...p2p('pal'), attributes: {} }),
      ]);
      await e.eventually(() =>
        expect(e.groups('erin')).toEqual({
          Customers: ['2|x'],
          Own: ['1|intruder'],
          'Direct messages': ['1|pal'],
        }),
      );
      // the user's "Direct messages" became the folder's group: adopted, not duplicated
      expect(e.snapshot('erin').find((g) => g.name === 'Direct messages')!.groupId).toBe(own);
    },
  );
  it.runIf(provider === 'tencent')(
    'a create refused because the user already has a group of that name adopts that group',
    async () => {
      // first contact is over (it would adopt the group by its name), then the user makes it
      await e.publish([ev('conversation.tagged', 'fay', { ...team('c'), tag: 'customer' })]);
      await e.eventually(() => expect(e.groups('fay')).toEqual({ Customers: ['2|c'] }));
      const client = new TencentClient({
        sdkappid: TENCENT_DEMO_APP.sdkappid,
        identifier: TENCENT_DEMO_APP.admin,
        secretKey: TENCENT_DEMO_APP.secretKey,
        endpoints: [e.sim.url],
      });
      await client.createGroup({ account: 'fay', name: 'Projects', contacts: ['1|buddy' as ContactKey] });
      await client.close();
      const own = e.snapshot('fay').find((g) => g.name === 'Projects')!.groupId;
      await e.publish([
        ev('conversation.upserted', 'fay', { ...team('p'), attributes: { kind: 'project', pinned: true } }),
      ]);
      await e.eventually(() => expect(e.groups('fay')).toEqual({ Customers: ['2|c'], Projects: ['2|p'] }));
      expect(e.snapshot('fay').find((g) => g.name === 'Projects')!.groupId).toBe(own);
      expect(e.logs()).toContain('adopted a group whose create answer was lost');
    },
  );
});
