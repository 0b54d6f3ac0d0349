/**
 * A worker killed between a call the provider applied and its ledger write: the ledger misses
 * the change. If the desired state then flips back, a planner trusting that ledger sees nothing
 * to do and the change stays for good (the reliability suite's SIGKILL storm found one). The
 * reconcile marks its calls in flight first, so the next one reads the groups back.
 *
 * The kill is made exact: the provider applies the update and then never answers; the lease is
 * taken from under the frozen run, as its expiry after a SIGKILL would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { foldOptions } from '../../src/config.js';
import type { GroupProvider } from '../../src/provider/types.js';
import { reconcileAccount } from '../../src/reconcile/reconcile.js';
import { conversationIdsOf } from '../../src/simulators/yunxin/existing-conversations.js';
import type { Simulator } from '../../src/simulators/yunxin/server.js';
import { foldEvents } from '../../src/workers/fold-events.js';
import { type Engine, ev, startEngine, team } from '../support/engine.js';
import { inProcessReconcile } from '../support/in-process-reconcile.js';

let e: Engine | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await e?.close();
  e = undefined;
});

describe('a worker killed right after the provider applied its call', () => {
  it('leaves a mark, and the next reconcile reads back and restores what the desired state flipped back to', async () => {
    e = await startEngine({ noWorkers: true });
    const engine = e;
    const { redis, keys, real, deps, close } = await inProcessReconcile(engine, { leaseMs: 60_000 });
    closers.push(close);
    const account = 'killed';
    const fold = async (...events: Record<string, unknown>[]) => {
      (engine.sim as Simulator).state.seedConversations(conversationIdsOf(events));
      await foldEvents(redis, keys, events, foldOptions(engine.config));
    };
    const customers = () => engine.groups(account)['Customers'];

    await fold(
      ev('conversation.tagged', account, { ...team('c1'), tag: 'customer' }),
      ev('conversation.tagged', account, { ...team('c2'), tag: 'customer' }),
    );
    expect(await reconcileAccount(account, deps(real))).toMatchObject({ status: 'done' });
    expect(customers()).toEqual(['2|c1', '2|c2']);

    // c2 leaves Customers; the update is applied, and the worker dies before it records it
    await fold(ev('conversation.untagged', account, { ...team('c2'), tag: 'customer' }));
    let applied!: () => void;
    const appliedThenDead = new Promise<void>((resolve) => {
      applied = resolve;
    });
    const dying: GroupProvider = Object.assign(Object.create(real) as GroupProvider, {
      changeMembers: async (...args: Parameters<GroupProvider['changeMembers']>) => {
        await real.changeMembers(...args);
        applied();
        return new Promise<never>(() => {}); // killed: no answer, no ledger write, ever
      },
    });
    void reconcileAccount(account, deps(dying));
    await appliedThenDead;
    expect(customers()).toEqual(['2|c1']);
    await engine.redis.del(keys.lease(account)); // its lease expires

    // c2 is a customer again before any other reconcile: the ledger still lists it as a member
    await fold(ev('conversation.tagged', account, { ...team('c2'), tag: 'customer' }));
    expect(await reconcileAccount(account, deps(real))).toMatchObject({ status: 'done' });
    expect(customers()).toEqual(['2|c1', '2|c2']);
    expect(await engine.redis.hexists(keys.status(account), 'callsStartedAt')).toBe(0);
  });
});
