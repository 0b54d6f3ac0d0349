/**
 * Repair's branches (src/reconcile/repair.ts) in memory: which of several marked groups of a
 * folder is kept, a duplicate someone else deleted first, a ledger group replaced by another,
 * and which groups' members a read-back reads. First contact and drift are in reconcile.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FolderKey } from '../../src/plan/types.js';
import { decodeLedgerFolder, ledgerField } from '../../src/store/records.js';
import { providerError } from '../support/fake-provider.js';
import { ACCOUNT, harness, tagged } from './harness.js';

const ledgerGroupId = (h: ReturnType<typeof harness>, folder: FolderKey) =>
  decodeLedgerFolder(h.store.hashes.ledger.get(ledgerField.group(folder))!)?.group.groupId;

describe('duplicate marked groups of one folder', () => {
  it("keep the ledger's group even when another is older, and count the rest as drift", async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    expect(ledgerGroupId(h, 'app:customers')).toBe('1');
    // an older group marked for the same folder (ids sort as numbers: 0 is the oldest)
    h.provider.groups.unshift({
      groupId: '0',
      name: 'Customers',
      folder: 'app:customers',
      members: new Set(),
    });
    await h.store.requestResync(ACCOUNT);
    await h.reconcile();
    expect(h.provider.groups.map((g) => g.groupId)).toEqual(['1']);
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    // the ledger was trusted: a duplicate is drift (at first contact it is adoption)
    expect(h.drift.at(-1)).toMatchObject({ duplicates: 1 });
  });

  it('a duplicate someone else deleted first is passed over; any other refusal fails the reconcile', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.provider.add('Customers', [], 'app:customers');
    await h.store.requestResync(ACCOUNT);
    h.provider.failNext('delete', providerError('permanent', 116404, 'group missing'));
    await expect(h.reconcile()).resolves.toMatchObject({ status: 'done' });
    expect(h.store.resync.has(ACCOUNT)).toBe(false);

    h.provider.add('Customers', [], 'app:customers');
    await h.store.requestResync(ACCOUNT);
    h.provider.failNext('delete', providerError('transient', 500, 'server busy'));
    await expect(h.reconcile()).rejects.toThrow('server busy');
    // nothing was recorded: the read-back is still asked for
    expect(h.store.resync.has(ACCOUNT)).toBe(true);
  });
});

describe('a read-back', () => {
  it("swaps a ledger group that is gone for the folder's other marked group, members read back", async () => {
    const h = harness();
    h.fold(tagged('c1'), tagged('c2'));
    await h.reconcile();
    // group 1 was deleted and a marked group made in its place holds c1 only
    h.provider.groups.splice(0);
    const other = h.provider.add('Customers', ['2|c1'], 'app:customers');
    await h.store.requestResync(ACCOUNT);
    const before = h.provider.calls.length;
    await h.reconcile();
    expect(h.provider.calls.slice(before)).toEqual(['listGroups', 'members', 'changeMembers']);
    expect(ledgerGroupId(h, 'app:customers')).toBe(other.groupId);
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2'] });
  });

  it('after a reconcile that stopped mid-calls reads every managed group, and adopts the lost create', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('v1', 'vip'));
    h.provider.failNext('create', providerError('ambiguous', -2, 'timeout'), 'lost');
    await expect(h.reconcile()).rejects.toThrow('timeout');
    const vip = h.provider.groups.find((g) => g.name === 'VIP')!;
    await h.reconcile();
    // its last change may be unrecorded, whatever the call was: a full read-back
    expect(h.provider.memberReads).toEqual([['1', vip.groupId]]);
    expect(h.groups()).toEqual({ Customers: ['2|c1'], VIP: ['2|v1'] });
    expect(h.provider.calls.filter((c) => c === 'create')).toHaveLength(2);
  });
});
