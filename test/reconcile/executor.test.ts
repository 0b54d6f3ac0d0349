/**
 * The executor's branches (src/reconcile/execute-call.ts) in memory, against a fake provider and
 * an in-memory store with the real codec and fencing: each kind of call, each way a provider
 * refuses one, items refused one by one, and a lease lost around a request. The engine tests
 * (test/engine/items, limits) run the same paths against the simulators over HTTP, once each.
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../src/store/account-store.js';
import { ledgerField } from '../../src/store/records.js';
import { tencentProfile } from '../../src/tencent/provider.js';
import { yunxinProfile } from '../../src/yunxin/provider.js';
import { providerError } from '../support/fake-provider.js';
import { ACCOUNT, event, harness, RULES, tagged, untagged } from './harness.js';

const statusError = (h: ReturnType<typeof harness>, folder: string) => {
  const text = h.store.hashes.status.get(`error|${folder}`);
  return text === undefined ? undefined : (JSON.parse(text) as { code: number; msg: string });
};
const calls = (h: ReturnType<typeof harness>, from: number) => h.provider.calls.slice(from);

describe('deletes', () => {
  it('a group already gone when its delete is sent is forgotten all the same', async () => {
    const h = harness();
    h.fold(tagged('c1'), tagged('v1', 'vip'));
    await h.reconcile();
    // the user deleted VIP in a client, and VIP is emptied: its delete finds nothing
    h.provider.groups.splice(
      h.provider.groups.findIndex((g) => g.name === 'VIP'),
      1,
    );
    h.fold(untagged('v1', 'vip'));
    const before = h.provider.calls.length;
    const outcome = await h.reconcile();
    expect(calls(h, before)).toEqual(['delete']);
    expect(outcome).toMatchObject({ status: 'done' });
    expect(outcome).not.toHaveProperty('requeueAfterMs');
    expect(h.store.hashes.ledger.has(ledgerField.group('app:vip'))).toBe(false);
    expect(statusError(h, 'app:vip')).toBeUndefined();
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
  });
});

describe('renames', () => {
  const renamed = [{ ...RULES[0]!, name: 'Clients' }, RULES[1]!];

  it('a folder renamed in the rules renames its group, and the ledger learns the name', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.setRules(renamed);
    const before = h.provider.calls.length;
    await h.reconcile();
    expect(calls(h, before)).toEqual(['rename']);
    expect(h.groups()).toEqual({ Clients: ['2|c1'] });
    // the ledger holds the new name: nothing left to do
    await h.reconcile();
    expect(calls(h, before)).toEqual(['rename']);
  });

  it('a rename of a group deleted in a client forgets it, and the next plan makes it under the new name', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.provider.groups.splice(0);
    h.setRules(renamed);
    const before = h.provider.calls.length;
    await h.reconcile();
    expect(calls(h, before)).toEqual(['rename', 'create']);
    expect(h.groups()).toEqual({ Clients: ['2|c1'] });
  });

  it('a name refused on a rename shows in the folder error, pointing at GROUP_NAME_MAX_LENGTH', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.setRules(renamed);
    h.provider.failNext('rename', providerError('permanent', 414, 'parameter error'));
    const outcome = await h.reconcile();
    expect(statusError(h, 'app:customers')).toMatchObject({ code: 414 });
    expect(statusError(h, 'app:customers')!.msg).toContain('"Clients" may be longer than');
    // a failed folder is tried again after RETRY_MAX_MS, not at once
    expect(outcome).toMatchObject({ status: 'done', requeueAfterMs: h.retry.maxMs });
  });
});

describe('membership changes', () => {
  it('go in one call where the provider takes adds and removes together, in two where it does not', async () => {
    for (const [profile, expected] of [
      [tencentProfile(), [{ add: ['2|c3'], remove: ['2|c1'] }]],
      [
        yunxinProfile(),
        [
          { add: [], remove: ['2|c1'] },
          { add: ['2|c3'], remove: [] },
        ],
      ],
    ] as const) {
      const h = harness({}, { profile });
      h.fold(tagged('c1'), tagged('c2'));
      await h.reconcile();
      h.fold(untagged('c1'), tagged('c3'));
      await h.reconcile();
      expect(h.provider.changes.map(({ add, remove }) => ({ add, remove }))).toEqual(expected);
      expect(h.groups()).toEqual({ Customers: ['2|c2', '2|c3'] });
    }
  });

  it('items refused for now are retried once their backoff has passed, and only they', async () => {
    const h = harness();
    h.provider.failItems.set('2|c2', { code: 998, msg: 'busy', kind: 'transient' });
    h.fold(tagged('c1'), tagged('c2'));
    const first = await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    expect([...h.store.hashes.retries.keys()]).toEqual(['app:customers|2|c2']);
    // the job comes back when the item is due: backoff of the first failure (10 ms, jitter ½)
    expect(first).toMatchObject({ status: 'done' });
    expect((first as { requeueAfterMs: number }).requeueAfterMs).toBeGreaterThan(0);
    expect((first as { requeueAfterMs: number }).requeueAfterMs).toBeLessThanOrEqual(h.retry.baseMs);

    // not due yet: nothing is sent
    const before = h.provider.calls.length;
    h.provider.failItems.delete('2|c2');
    await h.reconcile();
    expect(calls(h, before)).toEqual([]);

    h.advance(h.retry.baseMs);
    const last = await h.reconcile();
    expect(h.provider.changes.at(-1)).toMatchObject({ add: ['2|c2'] });
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2'] });
    expect(h.store.hashes.retries.size).toBe(0);
    expect(last).not.toHaveProperty('requeueAfterMs');
  });

  it('items refused for good are rejected, and not tried again until the conversation changes', async () => {
    const h = harness();
    h.provider.failItems.set('2|c2', { code: 110304, msg: 'too many groups', kind: 'permanent' });
    h.fold(tagged('c1'), tagged('c2'));
    const first = await h.reconcile();
    expect(first).not.toHaveProperty('requeueAfterMs');
    expect([...h.store.hashes.rejections.keys()]).toEqual(['app:customers|2|c2']);
    expect(h.store.hashes.retries.size).toBe(0);

    // other work for the account does not try c2 again
    h.fold(tagged('c3'));
    await h.reconcile();
    expect(h.provider.changes.at(-1)).toMatchObject({ add: ['2|c3'] });

    // the room is made, then c2's facts change: it is tried again, and lands
    h.provider.failItems.delete('2|c2');
    h.fold(
      event({ type: 'conversation.upserted', conversation: { type: 2, target: 'c2' }, attributes: { n: 1 } }),
    );
    await h.reconcile();
    expect(h.provider.changes.at(-1)).toMatchObject({ add: ['2|c2'] });
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2', '2|c3'] });
    expect(h.store.hashes.rejections.size).toBe(0);
  });
});

describe('the groups per account limit', () => {
  it('a create refused for groups the ledger did not count: they are counted, and the plan fits the rest', async () => {
    const h = harness({}, { profile: yunxinProfile({ groupsPerAccount: 3 }), maxGroups: 3 });
    h.fold(tagged('c1'));
    await h.reconcile();
    // the user makes two groups of their own: the account is at the limit
    h.provider.add('Family', ['1|mum']);
    h.provider.add('Work', ['1|boss']);
    h.fold(tagged('v1', 'vip'));
    const before = h.provider.calls.length;
    const outcome = await h.reconcile();
    // refused, counted, planned again: VIP gets no group, and nothing is retried
    expect(calls(h, before)).toEqual(['create', 'listGroups']);
    expect(h.store.hashes.ledger.get(ledgerField.foreign)).toBe('2');
    expect(statusError(h, 'app:vip')).toBeUndefined();
    expect(outcome).toMatchObject({ status: 'done', overflowCount: 1 });
    expect(outcome).not.toHaveProperty('requeueAfterMs');
    await h.reconcile();
    expect(calls(h, before)).toEqual(['create', 'listGroups']);
  });

  it('a provider that allows fewer groups than configured: the folder fails with a warning, retried after RETRY_MAX_MS and not in a loop', async () => {
    // GROUPS_PER_ACCOUNT stays at Yunxin's 50; the provider takes one group
    const h = harness({}, { maxGroups: 1 });
    h.fold(tagged('c1'), tagged('v1', 'vip'));
    const outcome = await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    expect(h.provider.calls).toEqual(['listGroups', 'create', 'create', 'listGroups']);
    expect(statusError(h, 'app:vip')).toMatchObject({ code: 116435 });
    expect(h.logs()).toContain('is it set too high?');
    expect(outcome).toMatchObject({ status: 'done', requeueAfterMs: h.retry.maxMs });
    // each reconcile tries the create once more, and asks again to come back after RETRY_MAX_MS
    const before = h.provider.calls.length;
    expect(await h.reconcile()).toMatchObject({ requeueAfterMs: h.retry.maxMs });
    expect(calls(h, before)).toEqual(['create', 'listGroups']);
  });
});

describe('a lease lost around a request', () => {
  it('a membership change applied after the lease was lost asks for a read-back', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('c2'));
    h.provider.onRequest = (method) => {
      if (method === 'changeMembers') h.store.stealLease(); // the ledger write is fenced off
    };
    await expect(h.reconcile()).rejects.toBeInstanceOf(LeaseLostError);
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2'] });
    expect(h.store.resync.has(ACCOUNT)).toBe(true);
  });

  it('a create applied after the lease was lost asks for a read-back, which adopts it', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('v1', 'vip'));
    h.provider.onRequest = (method) => {
      if (method === 'create') h.store.stealLease();
    };
    await expect(h.reconcile()).rejects.toBeInstanceOf(LeaseLostError);
    expect(h.store.resync.has(ACCOUNT)).toBe(true);

    // the successor's lease ends; the next reconcile reads back and adopts, creating nothing
    h.provider.onRequest = undefined;
    h.store.lease = undefined;
    const before = h.provider.calls.length;
    await h.reconcile();
    expect(calls(h, before)).toEqual(['listGroups', 'members']);
    expect(h.groups()).toEqual({ Customers: ['2|c1'], VIP: ['2|v1'] });
    expect(h.store.resync.has(ACCOUNT)).toBe(false);
  });

  it('a lease found lost before the request left sends nothing and asks for no read-back', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('c2'));
    h.provider.failNext('changeMembers', new LeaseLostError(ACCOUNT), 'unsent');
    await expect(h.reconcile()).rejects.toBeInstanceOf(LeaseLostError);
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    expect(h.store.resync.has(ACCOUNT)).toBe(false);
  });
});
