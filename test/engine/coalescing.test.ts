import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorBase } from '../../src/simulators/kit/simulator.js';
import { tencentProfile } from '../../src/tencent/provider.js';
import { yunxinProfile } from '../../src/yunxin/provider.js';
import { type Engine, ev, PROVIDERS, p2p, startEngine, team } from '../support/engine.js';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);
/** A new group: one create with the first 100 members, then adds of 100 (both providers). */
const minimalCalls = (members: number) =>
  members === 0 ? 0 : 1 + Math.ceil(Math.max(0, members - 100) / 100);
const total = (stats: { byEndpoint: Record<string, Record<string, number>> }) =>
  Object.values(stats.byEndpoint).reduce(
    (n, codes) => n + Object.values(codes).reduce((x, y) => x + y, 0),
    0,
  );

describe.each(PROVIDERS)('a burst costs the calls of its net change (%s)', (provider) => {
  let e: Engine<SimulatorBase>;
  beforeAll(async () => {
    // The reconcile waits while the account has events not folded yet (BACKLOG_WAIT_MS): a
    // publish counts them in the transaction that queues them, so one reconcile sees the whole
    // burst however long folding takes. The wait is set beyond any slow machine's fold of 1,000
    // events; the debounce stays short, not a window the fold has to beat.
    e = await startEngine({ provider, env: { BACKLOG_WAIT_MS: '120000' } });
  });
  afterAll(() => e?.close());
  const limits = (provider === 'tencent' ? tencentProfile() : yunxinProfile()).limits;

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

    // one list at first contact (it adopts whatever this service made before), then 2 + 3 + 1
    const minimal = 1 + minimalCalls(130) + minimalCalls(210) + minimalCalls(100);
    const stats = e.sim.calls.snapshot();
    const made = total(stats);
    console.log(`coalescing (${provider}): 1000 events → ${made} provider calls (minimal ${minimal})`);
    const ok = e.successCode;
    expect(stats.byEndpoint).toEqual({
      'group.list': { [ok]: 1 },
      'group.create': { [ok]: 3 },
      'group.update': { [ok]: minimal - 4 },
    });
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

  it('removals and additions in one folder: mixed calls of up to 100 where the provider allows them', async () => {
    const a = 'burst';
    const before = total(e.sim.calls.snapshot());
    // Projects holds p20..p149: 40 leave it, 50 new ones join it
    await e.publish([
      ...range(40, 20).map((i) => ev('conversation.unpinned', a, team(`p${i}`))),
      ...range(50, 500).map((i) =>
        ev('conversation.upserted', a, { ...team(`p${i}`), attributes: { kind: 'project', pinned: true } }),
      ),
    ]);
    const expected = [...range(90, 60), ...range(50, 500)].map((i) => `2|p${i}`).sort();
    await e.eventually(() => expect(e.groups(a).Projects).toEqual(expected), 30_000);
    await e.idle();
    // Yunxin: removes and adds in separate calls (1 + 1); Tencent: 90 changes in one mixed call
    const minimal = limits.mixedMembershipUpdate
      ? Math.ceil((40 + 50) / limits.idsPerCall)
      : Math.ceil(40 / limits.idsPerCall) + Math.ceil(50 / limits.idsPerCall);
    const made = total(e.sim.calls.snapshot()) - before;
    console.log(
      `coalescing (${provider}): 40 removals + 50 additions → ${made} provider calls (minimal ${minimal})`,
    );
    expect(made).toBe(minimal);
  });
});
