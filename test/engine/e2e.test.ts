import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';

let e: Engine;
beforeAll(async () => {
  e = await startEngine();
});
afterAll(() => e?.close());

describe('events → facts → rules → Yunxin groups', () => {
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
    await e.eventually(() => expect(e.groups('dora')).toEqual({ Mine: [] }));
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

  it('groups carry the documented marker; account.resync repairs drift and leaves foreign groups alone', async () => {
    await e.publish([ev('conversation.tagged', 'erin', { ...team('x'), tag: 'customer' })]);
    await e.eventually(() => expect(e.groups('erin')).toEqual({ Customers: ['2|x'] }));
    const [group] = e.sim.state.snapshot('erin');
    expect(JSON.parse(group!.serverExtension)).toEqual({
      managed_by: 'yunxin-folder-sync',
      v: 1,
      folder: 'app:customers',
    });

    // drift made behind our back: a foreign member in our group, a member removed, the user's own group
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
  });
});
