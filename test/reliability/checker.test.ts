/**
 * The checker is checked first: the model agrees with test/support/folder-model.ts where both
 * apply, it knows user folders, and the invariants catch a duplicate, a wrong member, an
 * unmarked group, a call over 100 ids and a rate above the limit when they are planted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulators/yunxin/server.js';
import { yunxinView } from '../support/engine.js';
import { expectedFolders } from '../support/folder-model.js';
import { callViolations, groupViolations, parseMarker } from './invariants.js';
import { type Event, expectedGroups } from './model.js';
import { scenarioRandom } from './profile.js';
import { makeWorkload } from './workload.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const NAMES: Record<string, string> = {
  'app:projects': 'Projects',
  'app:customers': 'Customers',
  'app:direct': 'Direct messages',
};

describe('the model', () => {
  it('agrees with test/support/folder-model.ts on conversation events', () => {
    const rand = scenarioRandom('checker');
    for (let run = 0; run < 20; run++) {
      const { bursts } = makeWorkload({
        label: `m${run}`,
        accounts: 5,
        bursts: 3,
        userFolders: false,
        random: rand,
      });
      const events = bursts.flat().filter((e) => (e['type'] as string).startsWith('conversation.'));
      const theirs = expectedFolders(events);
      const ours = expectedGroups(events);
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [account, folders] of theirs) {
        const mine = ours.get(account)!;
        for (const [key, name] of Object.entries(NAMES)) {
          expect(mine.get(key)!.name).toBe(name);
          expect(mine.get(key)!.members, `${account} ${name}`).toEqual(folders[name as keyof typeof folders]);
        }
      }
    }
  });

  it('user folders: include wins unless removed, then exclude, then the rule; deleted folders are gone', () => {
    let at = 1000;
    const e = (type: string, extra: Record<string, unknown>): Event => ({
      id: `u-${at}`,
      type,
      account: 'u',
      at: at++,
      ...extra,
    });
    const conv = (type: number, target: string) => ({ conversation: { type, target } });
    const events = [
      e('conversation.upserted', { ...conv(2, 'ops1'), attributes: { kind: 'ops' } }),
      e('conversation.upserted', { ...conv(2, 'ops2'), attributes: { kind: 'ops' } }),
      e('conversation.upserted', { ...conv(2, 'chat'), attributes: { kind: 'chat' } }),
      e('conversation.removed', conv(2, 'gone')),
      e('folder.upserted', {
        folder: {
          id: 'f',
          name: 'F',
          rule: { attr: 'kind', eq: 'ops' },
          include: [
            { type: 2, target: 'chat' },
            { type: 2, target: 'never-seen' },
            { type: 2, target: 'gone' },
          ],
          exclude: [{ type: 2, target: 'ops2' }],
        },
      }),
      e('folder.upserted', { folder: { id: 'g', name: 'G' } }),
      e('folder.deleted', { folderId: 'g' }),
      e('folder.upserted', { folder: { id: 'h', name: 'H', rule: { attr: 'tags', exists: false } } }),
      e('conversation.tagged', { ...conv(2, 'chat'), tag: 'x' }),
    ];
    const folders = expectedGroups(events).get('u')!;
    expect(folders.get('user:f')).toMatchObject({ name: 'F', members: ['2|chat', '2|never-seen', '2|ops1'] });
    expect(folders.has('user:g')).toBe(false);
    expect(folders.get('user:h')!.members).toEqual(['2|ops1', '2|ops2']);
    expect(() => expectedGroups([...events, { ...events[0]!, attributes: {} }])).toThrow(
      /two different contents/,
    );
    expect(() => expectedGroups([...events, { ...events[0]!, id: 'other' }])).toThrow(/share at=/);
  });
});

describe('the invariants', () => {
  it('read the marker exactly', () => {
    expect(parseMarker('{"managed_by":"yunxin-folder-sync","v":1,"folder":"app:projects"}')).toBe(
      'app:projects',
    );
    expect(parseMarker('{"managed_by":"yunxin-folder-sync","v":2,"folder":"app:projects"}')).toBeUndefined();
    expect(parseMarker('{"managed_by":"someone-else","v":1,"folder":"app:projects"}')).toBeUndefined();
    expect(parseMarker('not json')).toBeUndefined();
  });

  it('catch a duplicate, a wrong or missing member, an unmarked group and a group of a deleted folder', async () => {
    sim = await startSimulator();
    const marker = (folder: string) => JSON.stringify({ managed_by: 'yunxin-folder-sync', v: 1, folder });
    // Conversations exist before they are grouped, as in Yunxin (110404 otherwise).
    const create = (name: string, ext: string, ids: string[]) => {
      sim!.state.seedConversations(ids.map((i) => `x|${i}`));
      return sim!.state.createGroup(
        { account_id: 'x', name, server_extension: ext, conversation_ids: ids.map((i) => `x|${i}`) },
        () => false,
      );
    };
    const events: Event[] = [
      {
        id: '1',
        type: 'conversation.tagged',
        account: 'x',
        at: 1,
        conversation: { type: 2, target: 'c' },
        tag: 'customer',
      },
      {
        id: '2',
        type: 'conversation.upserted',
        account: 'x',
        at: 2,
        conversation: { type: 1, target: 'd' },
        attributes: {},
      },
    ];
    const expected = expectedGroups(events);
    create('Customers', marker('app:customers'), ['2|c']);
    create('Direct messages', marker('app:direct'), ['1|d']);
    expect(groupViolations(yunxinView(sim!), expected)).toEqual([]);

    create('Customers', marker('app:customers'), ['2|c']);
    create('Mine', '', ['2|c']);
    create('Old', marker('user:old'), []);
    sim.state.seedConversations(['y|2|p']);
    sim.state.createGroup(
      {
        account_id: 'y',
        name: 'Projects',
        server_extension: marker('app:projects'),
        conversation_ids: ['y|2|p'],
      },
      () => false,
    );
    const found = groupViolations(yunxinView(sim!), expected);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^x: DUPLICATE 2 groups for app:customers/),
        expect.stringMatching(/^x: group #\d+ "Mine" has no marker/),
        expect.stringMatching(/^x: group #\d+ for user:old, a folder that should not exist/),
        expect.stringMatching(/^y: group #\d+ for app:projects, a folder that should not exist/),
      ]),
    );
    expect(found).toHaveLength(4);

    sim.reset();
    create('Customers', marker('app:customers'), ['2|c', '2|z']);
    expect(groupViolations(yunxinView(sim!), expected)).toEqual([
      'x: app:customers missing [] extra [2|z]',
      'x: no group for app:direct (1 members expected)',
    ]);
  });

  it('tell Tencent groups by name: teams and super teams alike, empty user folders need no group, stray names caught', () => {
    const events: Event[] = [
      {
        id: '1',
        type: 'conversation.tagged',
        account: 'x',
        at: 1,
        conversation: { type: 3, target: 's' },
        tag: 'customer',
      },
      {
        id: '2',
        type: 'conversation.upserted',
        account: 'x',
        at: 2,
        conversation: { type: 1, target: 'd' },
        attributes: {},
      },
      {
        id: '3',
        type: 'folder.upserted',
        account: 'x',
        at: 3,
        folder: { id: 'empty', name: 'Empty', include: [] },
      },
    ];
    const expected = expectedGroups(events);
    const group = (name: string, members: string[]) => ({ groupId: name, name, members });
    const view = (groups: ReturnType<typeof group>[]) => ({
      provider: 'tencent' as const,
      accounts: () => ['x'],
      snapshot: () => groups,
    });
    // Tencent lists the super team as a group conversation (2|s); the empty user folder has no group
    expect(
      groupViolations(view([group('Customers', ['2|s']), group('Direct messages', ['1|d'])]), expected),
    ).toEqual([]);
    expect(
      groupViolations(
        view([group('Customers', ['2|s', '2|z']), group('Customers (2)', []), group('Direct messages', [])]),
        expected,
      ),
    ).toEqual([
      'x: group #Customers (2) "Customers (2)" is no folder\'s name (Tencent groups are told by name)',
      'x: app:customers missing [] extra [2|z]',
      'x: app:direct missing [1|d] extra []',
    ]);
  });

  it('catch calls over 100 ids, a rate above the limit, and 416s when none were injected', () => {
    const stats = {
      total: 10,
      byEndpoint: {},
      peakPerSecond: 51,
      peakAcceptedPerSecond: 50,
      maxIdsInCall: 101,
      callsOverIdLimit: 1,
      rateLimited: 1,
      stalled: 0,
      firstCallAt: 0,
      lastCallAt: 1,
    };
    expect(callViolations(stats, { rate: 50 })).toHaveLength(4);
    expect(callViolations(stats, { rate: 50, injectedRateLimits: true })).toHaveLength(3);
    // a peak the simulator's own stalls can explain is not held against the workers
    expect(callViolations(stats, { rate: 50, injectedRateLimits: true }, 1)).toHaveLength(2);
    expect(
      callViolations(
        { ...stats, peakPerSecond: 50, maxIdsInCall: 100, callsOverIdLimit: 0 },
        { rate: 50, injectedRateLimits: true },
      ),
    ).toEqual([]);
  });
});
