import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tiebreakOf } from '../../src/facts/registers.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';

let e: Engine;
beforeAll(async () => {
  e = await startEngine();
});
afterAll(() => e?.close());

const T = 1_763_800_000_000;

describe('late, repeated and reordered events', () => {
  it('an older event never overwrites a newer fact, whatever the arrival order', async () => {
    await e.publish([
      { id: 'o-3', type: 'conversation.unpinned', account: 'ord', at: T + 3, ...team('p') },
      {
        id: 'o-1',
        type: 'conversation.upserted',
        account: 'ord',
        at: T + 1,
        ...team('p'),
        attributes: { kind: 'project' },
      },
      { id: 'o-2', type: 'conversation.pinned', account: 'ord', at: T + 2, ...team('p') },
      { id: 'o-5', type: 'conversation.tagged', account: 'ord', at: T + 5, ...team('c'), tag: 'customer' },
      { id: 'o-4', type: 'conversation.untagged', account: 'ord', at: T + 4, ...team('c'), tag: 'customer' },
    ]);
    // pinned (t2) lost to unpinned (t3); tagged (t5) beat untagged (t4)
    await e.eventually(() => expect(e.groups('ord')).toEqual({ Customers: ['2|c'] }));
  });

  it('an id seen before is ignored, even with different content', async () => {
    await e.publish([
      { id: 'dup-1', type: 'conversation.tagged', account: 'dup', at: T, ...team('a'), tag: 'customer' },
    ]);
    await e.eventually(() => expect(e.groups('dup')).toEqual({ Customers: ['2|a'] }));
    await e.publish([
      { id: 'dup-1', type: 'conversation.tagged', account: 'dup', at: T + 9, ...team('b'), tag: 'customer' },
    ]);
    await e.publish([ev('conversation.tagged', 'dup', { ...team('c'), tag: 'customer' })]);
    await e.eventually(() => expect(e.groups('dup')).toEqual({ Customers: ['2|a', '2|c'] }));
  });

  it('equal `at` is broken deterministically by the event id', async () => {
    const ids = ['tie-x', 'tie-y'];
    const types = ['conversation.tagged', 'conversation.untagged'];
    // publish in both orders to two accounts: both must end the same way
    for (const [account, order] of [
      ['tie1', [0, 1]],
      ['tie2', [1, 0]],
    ] as const) {
      await e.publish(
        order.map((i) => ({
          id: `${account}-${ids[i]}`,
          type: types[i],
          account,
          at: T,
          ...team('c'),
          tag: 'customer',
        })),
      );
    }
    const expected = (account: string) =>
      tiebreakOf(`${account}-${ids[0]}`) > tiebreakOf(`${account}-${ids[1]}`) ? { Customers: ['2|c'] } : {};
    await e.idle();
    expect(e.groups('tie1')).toEqual(expected('tie1'));
    expect(e.groups('tie2')).toEqual(expected('tie2'));
  });

  it('a removal hides older facts; a later event brings the conversation back without them', async () => {
    await e.publish([
      { id: 'r-1', type: 'conversation.tagged', account: 'rm', at: T + 1, ...team('c'), tag: 'customer' },
      { id: 'r-3', type: 'conversation.removed', account: 'rm', at: T + 3, ...team('c') },
      { id: 'r-2', type: 'conversation.pinned', account: 'rm', at: T + 2, ...team('c') }, // late, older than the removal
    ]);
    await e.idle();
    // one reconcile saw all three: the conversation is gone, so no folder ever had a member
    expect(e.groups('rm')).toEqual({});
    await e.publish([
      {
        id: 'r-4',
        type: 'conversation.upserted',
        account: 'rm',
        at: T + 4,
        ...team('c'),
        attributes: { kind: 'project' },
      },
    ]);
    await e.idle();
    // back, but the tag and the pin from before the removal are gone
    expect(e.groups('rm')).toEqual({});
    await e.publish([{ id: 'r-5', type: 'conversation.pinned', account: 'rm', at: T + 5, ...team('c') }]);
    await e.eventually(() => expect(e.groups('rm')).toEqual({ Projects: ['2|c'] }));
  });
});
