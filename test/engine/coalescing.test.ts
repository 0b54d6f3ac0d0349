import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';

let e: Engine;
beforeAll(async () => {
  // A window longer than folding 1,000 events takes, so one reconcile sees them all.
  e = await startEngine({ env: { DEBOUNCE_MS: '3000' } });
});
afterAll(() => e?.close());

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);
const minimalCalls = (members: number) =>
  members === 0 ? 0 : 1 + Math.ceil(Math.max(0, members - 100) / 100);

describe('a burst costs the calls of its net change', () => {
  it('1,000 events for one account → exactly the minimal number of calls', async () => {
    const a = 'burst';
    const events = [
      // 150 project channels, all pinned, 20 unpinned again → Projects: 130
      ...range(150).map((i) =>
        ev('conversation.upserted', a, { ...team(`p${i}`), attributes: { kind: 'project' } }),
      ),
      ...range(150).map((i) => ev('conversation.pinned', a, team(`p${i}`))),
      ...range(20).map((i) => ev('conversation.unpinned', a, team(`p${i}`))),
      // 250 tagged customer, 40 untagged → Customers: 210
      ...range(250).map((i) => ev('conversation.tagged', a, { ...team(`c${i}`), tag: 'customer' })),
      ...range(40).map((i) => ev('conversation.untagged', a, { ...team(`c${i}`), tag: 'customer' })),
      // 150 direct messages, 60 archived, 10 of them unarchived → Direct messages: 100
      ...range(150).map((i) =>
        ev('conversation.upserted', a, { ...p2p(`u${i}`), attributes: { name: `user ${i}` } }),
      ),
      ...range(60).map((i) => ev('conversation.archived', a, p2p(`u${i}`))),
      ...range(10).map((i) => ev('conversation.unarchived', a, p2p(`u${i}`))),
      // noise that changes no folder
      ...range(70).map((i) => ev('conversation.muted', a, team(`p${i}`))),
      ...range(70).map((i) => ev('conversation.unmuted', a, team(`p${i}`))),
      ...range(30).map((i) => ev('conversation.pinned', a, team(`c${i + 100}`))),
    ].slice(0, 1000);
    expect(events).toHaveLength(1000);
    expect((await e.publish(events)).accepted).toBe(1000);

    const expected = {
      Projects: range(130, 20)
        .map((i) => `2|p${i}`)
        .sort(),
      Customers: range(210, 40)
        .map((i) => `2|c${i}`)
        .sort(),
      'Direct messages': [...range(10), ...range(90, 60)].map((i) => `1|u${i}`).sort(),
    };
    await e.eventually(() => expect(e.groups(a)).toEqual(expected), 30_000);
    await e.idle();

    const minimal = minimalCalls(130) + minimalCalls(210) + minimalCalls(100); // 2 + 3 + 1
    const stats = e.sim.calls.snapshot();
    const made = Object.values(stats.byEndpoint).reduce(
      (n, codes) => n + Object.values(codes).reduce((x, y) => x + y, 0),
      0,
    );
    console.log(`coalescing: 1000 events → ${made} provider calls (minimal ${minimal})`);
    expect(stats.byEndpoint).toEqual({ 'group.create': { 200: 3 }, 'group.update': { 200: minimal - 3 } });
    expect(made).toBe(minimal);
    expect(stats.maxIdsInCall).toBe(100);
  });

  it('changes that cancel out cost nothing', async () => {
    const before = e.sim.calls.snapshot().total;
    const a = 'burst';
    await e.publish([
      ev('conversation.unpinned', a, team('p50')),
      ev('conversation.pinned', a, team('p50')),
      ev('conversation.tagged', a, { ...team('zz'), tag: 'customer' }),
      ev('conversation.removed', a, team('zz')),
    ]);
    await e.idle();
    expect(e.sim.calls.snapshot().total).toBe(before);
  });
});
