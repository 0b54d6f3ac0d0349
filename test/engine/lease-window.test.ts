/**
 * The window no lease check can close (docs/reliability.md, finding 4): a worker frozen between
 * its last lease check and its create request sends the create after a successor took the
 * account over, dropped the `pending` record (no marked group yet) and made the group itself.
 * The create is a duplicate; the frozen worker learns it only when its ledger write is refused.
 * It must then ask for a read-back, so the next reconcile deletes the duplicate.
 *
 * The freeze is made exact with a provider whose create, before sending, lets the successor run
 * a whole reconcile (the lease is taken from under it, as an expiry would).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { foldOptions } from '../../src/config.js';
import { createProvider } from '../../src/provider/create-provider.js';
import { checkCallGuard } from '../../src/reconcile/call-guard.js';
import { reconcileAccount } from '../../src/reconcile/reconcile.js';
import { LeaseLostError } from '../../src/store/account-store.js';
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

describe('a create sent after its lease was lost', () => {
  it('asks for a read-back, and the next reconcile deletes the duplicate it made', async () => {
    e = await startEngine({ noWorkers: true });
    const engine = e;
    const { redis, keys, log, real, deps, close } = await inProcessReconcile(engine, { leaseMs: 5_000 });
    closers.push(close);

    const account = 'frozen';
    const events = [ev('conversation.tagged', account, { ...team('c1'), tag: 'customer' })];
    await foldEvents(redis, keys, events, foldOptions(engine.config));

    // The first worker "freezes" after its lease check, right before its create request: its
    // lease expires and the successor runs a whole reconcile.
    let successorRan = false;
    const frozen = createProvider(engine.config, {
      beforeCall: async (endpoint) => {
        await checkCallGuard();
        if (successorRan || endpoint !== 'group.create') return;
        successorRan = true;
        await engine.redis.del(keys.lease(account));
        expect(await reconcileAccount(account, deps(real))).toMatchObject({ status: 'done' });
        expect(engine.snapshot(account)).toHaveLength(1);
      },
      onCall: () => {},
      log,
    });
    closers.push(() => frozen.close());
    await expect(reconcileAccount(account, deps(frozen))).rejects.toBeInstanceOf(LeaseLostError);
    expect(successorRan).toBe(true);
    // the frozen worker's create landed: two marked groups for one folder
    expect(engine.snapshot(account).map((g) => g.name)).toEqual(['Customers', 'Customers']);
    expect(await engine.redis.hexists(keys.partOf(account).resyncRequests, account)).toBe(1);

    // the reconcile queued for the account reads the groups back and deletes the duplicate
    expect(await reconcileAccount(account, deps(real))).toMatchObject({ status: 'done' });
    expect(engine.groups(account)).toEqual({ Customers: ['2|c1'] });
    expect(engine.sim.calls.count('group.delete')).toBe(1);
  });
});
