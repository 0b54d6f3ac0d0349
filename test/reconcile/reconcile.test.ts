/**
 * The reconcile's branches in memory (a fake provider, an in-memory store with the real codec
 * and fencing): first contact, read-backs, lost answers, shutdowns, corrupt records.
 */
import { describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../src/plan/types.js';
import { decodeLedgerFolder, encode, ledgerField } from '../../src/store/records.js';
import { providerError } from '../support/fake-provider.js';
import { ACCOUNT, event, harness, tagged, untagged } from './harness.js';

describe('first contact', () => {
  it('a new account costs one list call before its creates', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    expect(h.provider.calls).toEqual(['listGroups', 'create']);
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    expect(h.store.hashes.ledger.get(ledgerField.epoch)).toBe('epoch-1');
    expect(h.store.verified.has(ACCOUNT)).toBe(true);
  });

  it('adopts the marked groups with their members, then changes only what differs', async () => {
    const h = harness();
    h.provider.add('Customers', ['2|c1', '2|gone'], 'app:customers');
    h.provider.add('Family', ['1|mum']); // the user's own group
    h.fold(tagged('c1'), tagged('c2'));
    await h.reconcile();
    expect(h.provider.calls).toEqual(['listGroups', 'members', 'changeMembers', 'changeMembers']);
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2'], Family: ['1|mum'] });
    expect(h.store.hashes.ledger.get(ledgerField.foreign)).toBe('1');
    // adoption is not drift: this ledger was never trusted
    expect(h.drift).toEqual([
      { groupsMissing: 0, groupsRenamed: 0, membersMissing: 0, membersExtra: 0, duplicates: 0 },
    ]);
  });

  it('keeps the oldest of duplicate marked groups and deletes the rest', async () => {
    const h = harness();
    h.provider.add('Customers', ['2|c1'], 'app:customers');
    h.provider.add('Customers', ['2|c1'], 'app:customers');
    h.fold(tagged('c1'));
    await h.reconcile();
    expect(h.provider.groups.map((g) => g.groupId)).toEqual(['1']);
    expect(h.provider.calls).toEqual(['listGroups', 'delete', 'members']);
  });

  it('is over once the ledger holds the epoch: the next reconcile reads nothing back', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('c2'));
    await h.reconcile();
    expect(h.provider.calls).toEqual(['listGroups', 'create', 'changeMembers']);
  });

  it('happens again under a new epoch (Redis lost data): adopted, nothing created twice', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fleet.epoch = 'epoch-2';
    await h.reconcile();
    expect(h.provider.calls).toEqual(['listGroups', 'create', 'listGroups', 'members']);
    expect(h.provider.groups).toHaveLength(1);
  });
});

describe('read-backs', () => {
  it('find drift in a trusted ledger, and the plan after them repairs it', async () => {
    const h = harness();
    h.fold(tagged('c1'), tagged('c2'), tagged('v1', 'vip'));
    await h.reconcile();
    // edits in a client: a member removed, a foreign one added, a managed group deleted
    const customers = h.provider.groups.find((g) => g.name === 'Customers')!;
    customers.members.delete('2|c2');
    customers.members.add('2|stranger');
    h.provider.groups.splice(
      h.provider.groups.findIndex((g) => g.name === 'VIP'),
      1,
    );
    await h.store.requestResync(ACCOUNT);
    await h.reconcile();
    expect(h.drift.at(-1)).toEqual({
      groupsMissing: 1,
      groupsRenamed: 0,
      membersMissing: 1,
      membersExtra: 1,
      duplicates: 0,
    });
    expect(h.repaired).toEqual([h.drift.at(-1)]);
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2'], VIP: ['2|v1'] });
    expect(h.store.resync.has(ACCOUNT)).toBe(false);
  });

  it("a verification's read-back is charged to its budget and clears its request", async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.store.verify.set(ACCOUNT, '1000');
    await h.reconcile();
    expect(h.provider.calls).toEqual(['listGroups', 'create', 'listGroups', 'members']);
    // the list and the members read: each passed the call guard as a request
    expect(h.charged).toEqual([2]);
    expect(h.store.verify.has(ACCOUNT)).toBe(false);
  });

  it('a resync asked while one is being served survives it', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    await h.store.requestResync(ACCOUNT);
    h.provider.onRequest = async (method) => {
      if (method === 'listGroups') await h.store.requestResync(ACCOUNT);
    };
    await h.reconcile();
    expect(h.store.resync.get(ACCOUNT)).toBe('2');
  });
});

describe('calls that fail', () => {
  it('a lost answer of an update asks for a read-back', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('c2'));
    h.provider.failNext('changeMembers', providerError('transient', -2, 'timeout'), 'lost');
    await expect(h.reconcile()).rejects.toThrow('timeout');
    expect(h.store.resync.has(ACCOUNT)).toBe(true);
  });

  it('a shutdown before the request was sent asks for none', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.fold(tagged('c2'));
    const abort = new DOMException('shutting down', 'AbortError');
    h.provider.failNext('changeMembers', abort, 'unsent');
    await expect(h.reconcile()).rejects.toBe(abort);
    expect(h.store.resync.has(ACCOUNT)).toBe(false);
  });

  it('a create whose answer was lost is adopted by the next reconcile, not made twice', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    h.provider.failNext('create', providerError('ambiguous', -2, 'timeout'), 'lost');
    await expect(h.reconcile()).rejects.toThrow('timeout');
    expect(decodeLedgerFolder(h.store.hashes.ledger.get(ledgerField.group('app:customers'))!)).toMatchObject({
      group: { pending: true },
    });
    await h.reconcile();
    expect(h.provider.groups).toHaveLength(1);
    expect(h.provider.calls.filter((c) => c === 'create')).toHaveLength(1);
  });

  it('a create that timed out unapplied and is applied late is adopted: not re-sent within the answer window', async () => {
    const h = harness({ createAnswerWindowMs: 10_000 });
    h.fold(tagged('c1'));
    h.provider.failNext(
      'create',
      providerError('ambiguous', -2, 'timeout after 1000 ms (adaptive)'),
      'refused',
    );
    await expect(h.reconcile()).rejects.toThrow('timeout');
    h.advance(1_500);
    // the read-back finds no group, but the create may still be applied: it stays pending
    const held = await h.reconcile();
    expect(h.provider.calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(held).toMatchObject({ status: 'done' });
    expect(held.status === 'done' && held.requeueAfterMs).toBeGreaterThan(0);
    expect(held.status === 'done' && held.requeueAfterMs).toBeLessThanOrEqual(8_500);
    h.provider.add('Customers', ['2|c1'], 'app:customers'); // the provider applies it now
    h.advance(9_000);
    await h.reconcile();
    expect(h.provider.groups).toHaveLength(1);
    expect(h.provider.calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
  });

  it('a create that timed out and was never applied is sent again once the answer window has passed', async () => {
    const h = harness({ createAnswerWindowMs: 10_000 });
    h.fold(tagged('c1'));
    h.provider.failNext('create', providerError('ambiguous', -2, 'timeout'), 'refused');
    await expect(h.reconcile()).rejects.toThrow('timeout');
    h.advance(10_001);
    await h.reconcile();
    expect(h.provider.calls.filter((c) => c === 'create')).toHaveLength(2);
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
  });

  it('a group deleted in a client is forgotten and made again', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.provider.groups.splice(0);
    h.fold(tagged('c2'));
    await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2'] });
  });
});

describe('a ledger written before 0.4', () => {
  it('is read with its one field per member, and rewritten one field per folder by the next reconcile', async () => {
    const h = harness();
    h.fold(tagged('c1'), tagged('c2'));
    await h.reconcile();
    const ledger = h.store.hashes.ledger;
    // the same state as the old layout stored it: group JSON, one field per member
    ledger.set(
      ledgerField.group('app:customers'),
      JSON.stringify({ groupId: '1', name: 'Customers', pending: false }),
    );
    ledger.set(ledgerField.legacyMember('app:customers', '2|c1'), '1');
    ledger.set(ledgerField.legacyMember('app:customers', '2|c2'), '1');
    h.provider.calls.splice(0);
    await h.reconcile();
    // trusted as it was: nothing to call, nothing quarantined
    expect(h.provider.calls).toEqual([]);
    expect(h.store.quarantined).toHaveLength(0);
    expect([...ledger.keys()].filter((f) => f.startsWith('m|'))).toEqual([]);
    expect(decodeLedgerFolder(ledger.get(ledgerField.group('app:customers'))!)).toEqual({
      group: { groupId: '1', name: 'Customers', pending: false },
      members: ['2|c1', '2|c2'],
    });
    h.fold(untagged('c1'));
    await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c2'] });
  });

  it('a member field of a folder with no group is not trusted: the ledger is rebuilt', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.store.hashes.ledger.set(ledgerField.legacyMember('app:projects', '2|c1'), '1');
    await h.reconcile();
    expect(h.store.quarantined).toHaveLength(1);
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
  });
});

describe('the compact ledger field', () => {
  it('round-trips a group, its members and a name holding the separators', () => {
    const group = { groupId: '42', name: 'a\x1db\x1ec|d', pending: false };
    const text = encode.ledgerFolder(group, ['2|b', '1|a'] as ConversationKey[]);
    expect(text.length).toBeLessThan(JSON.stringify(group).length + 10);
    expect(decodeLedgerFolder(text)).toEqual({ group, members: ['1|a', '2|b'] });
    expect(decodeLedgerFolder(encode.ledgerFolder({ name: 'P', pending: true }, []))).toEqual({
      group: { name: 'P', pending: true },
      members: [],
    });
  });

  it('a group id with a control character falls back to JSON, which still decodes', () => {
    const group = { groupId: 'x\x1dy', name: 'N', pending: false };
    const text = encode.ledgerFolder(group, ['2|c'] as ConversationKey[]);
    expect(text.startsWith('{')).toBe(true);
    expect(decodeLedgerFolder(text)).toEqual({ group, members: ['2|c'] });
  });

  it('refuses what is neither form', () => {
    for (const bad of ['', '=1', '!1\x1d\x1dN', '=1\x1dnot-a-key\x1dN', '{"groupId":1}']) {
      expect(decodeLedgerFolder(bad)).toBeUndefined();
    }
  });
});

describe('records that do not decode', () => {
  it('a corrupt ledger is quarantined and rebuilt from the provider', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    await h.reconcile();
    h.store.hashes.ledger.set(ledgerField.group('app:customers'), '{"groupId": 1');
    await h.reconcile();
    expect(h.store.quarantined).toHaveLength(1);
    expect(h.provider.groups).toHaveLength(1);
    expect(decodeLedgerFolder(h.store.hashes.ledger.get(ledgerField.group('app:customers'))!)).toEqual({
      group: { groupId: '1', name: 'Customers', pending: false },
      members: ['2|c1'],
    });
  });

  it('a corrupt user folder keeps its group as it is', async () => {
    const h = harness();
    h.fold(
      event({
        type: 'folder.upserted',
        folder: { id: 'work', name: 'Work', include: [{ type: 1, target: 'bo' }] },
      }),
    );
    await h.reconcile();
    expect(h.groups()).toEqual({ Work: ['1|bo'] });
    h.store.hashes.folders.set('f|work', `${Date.now()}|1|{broken`);
    h.fold(tagged('c1'));
    await h.reconcile();
    expect(h.groups()).toEqual({ Work: ['1|bo'], Customers: ['2|c1'] });
  });

  it('corrupt facts and bookkeeping are skipped or dropped, and the rest goes on', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    h.store.hashes.facts.set('2|c9|a|kind', 'not-a-register');
    h.store.hashes.retries.set('app:customers|2|c1', '[]');
    h.store.hashes.status.set('lastSyncAt', 'yesterday');
    await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    expect(h.store.hashes.retries.size).toBe(0);
    expect(Number(h.store.hashes.status.get('lastSyncAt'))).toBeGreaterThan(0);
  });
});

describe('rules', () => {
  it('an emptied folder with deleteWhenEmpty loses its group', async () => {
    const h = harness();
    h.fold(tagged('v1', 'vip'));
    await h.reconcile();
    h.fold(untagged('v1', 'vip'));
    await h.reconcile();
    expect(h.groups()).toEqual({});
  });
});

describe('conversations that do not exist yet (Yunxin 110404)', () => {
  it('are created and added in the next round; only those', async () => {
    const h = harness();
    h.provider.existing = new Set(['2|c1']);
    h.fold(tagged('c1'), tagged('c2'), tagged('c3'));
    await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c1', '2|c2', '2|c3'] });
    expect(h.provider.createdConversations.sort()).toEqual(['2|c2', '2|c3']);
    expect(h.store.hashes.status.get('conversationsCreated')).toBe('2');
    expect(h.store.hashes.rejections.size).toBe(0);
  });

  it('one still refused after it was created is rejected, not created again and again', async () => {
    const h = harness();
    h.provider.existing = new Set(['2|c1']);
    h.provider.createConversation = async () => {}; // "created", yet still unknown to the add
    h.fold(tagged('c1'), tagged('c2'));
    const outcome = await h.reconcile();
    expect(h.groups()).toEqual({ Customers: ['2|c1'] });
    expect(h.store.hashes.rejections.has('app:customers|2|c2')).toBe(true);
    expect(outcome).toMatchObject({ status: 'done' });
  });

  it('are rejected as before when creating is switched off', async () => {
    const h = harness({ createMissingConversations: false });
    h.provider.existing = new Set();
    h.fold(tagged('c1'));
    await h.reconcile();
    expect(h.provider.createdConversations).toEqual([]);
    expect(h.store.hashes.rejections.has('app:customers|2|c1')).toBe(true);
  });

  it('are never created once the app removed them, even when a user folder lists them', async () => {
    const h = harness();
    h.provider.existing = new Set();
    h.fold(
      event({ type: 'conversation.removed', conversation: { type: 1, target: 'gone' } }),
      event({
        type: 'folder.upserted',
        folder: {
          id: 'f',
          name: 'F',
          include: [
            { type: 1, target: 'gone' },
            { type: 1, target: 'new' },
          ],
        },
      }),
    );
    await h.reconcile();
    expect(h.provider.createdConversations).toEqual(['1|new']);
    expect(h.groups()).toEqual({ F: ['1|new'] });
  });
});

describe('a name the provider refuses', () => {
  it('shows in the folder error as a name-length problem, pointing at GROUP_NAME_MAX_LENGTH', async () => {
    const h = harness();
    h.fold(tagged('c1'));
    h.provider.failNext('create', providerError('permanent', 414, 'parameter error'));
    await h.reconcile();
    const error = JSON.parse(h.store.hashes.status.get('error|app:customers')!);
    expect(error).toMatchObject({ code: 414 });
    expect(error.msg).toContain('may be longer than this IM package allows: lower GROUP_NAME_MAX_LENGTH');
  });
});
