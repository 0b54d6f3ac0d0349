import type { ConversationKey, FolderKey, LedgerGroup } from '../plan/types.js';
import { pairKey } from '../plan/types.js';
import type { ItemResult } from '../provider/types.js';
import type { Lease, LoadedAccount, WriteOp } from '../store/account-store.js';
import { encode, type FolderError, ledgerField, type StatusNumber, statusField } from '../store/records.js';

/** Where a session's writes go: fenced by the lease (AccountStore, or a fake in tests). */
export interface SessionStore {
  write(lease: Lease, ops: readonly WriteOp[]): Promise<void>;
  assertLease(lease: Lease, ttlMs: number): Promise<void>;
  requestResync(account: string): Promise<void>;
  /** the account's groups were read back now: verification takes others first */
  markVerified(account: string, at: number): Promise<void>;
}

/** What a read-back of the provider found, folder by folder. */
export interface ReadBack {
  /** the group kept for each managed folder the provider has; ledger folders missing here are gone */
  groups: ReadonlyMap<FolderKey, { groupId: string; name: string }>;
  /** members of the folders whose members were read */
  members: ReadonlyMap<FolderKey, ReadonlySet<ConversationKey>>;
  foreignGroups: number;
  /** a full read-back: the ledger is trusted under this deployment epoch from now on */
  epoch?: string;
  /** the resync request this read-back served: cleared unless a newer one came meanwhile */
  resyncRequest?: string;
  /** the verification request it served: cleared unless verification claimed the account again */
  verifyRequest?: string;
}

/** How the provider differed from what the ledger said (only counted when the ledger was trusted). */
export interface Drift {
  groupsMissing: number;
  groupsRenamed: number;
  membersMissing: number;
  membersExtra: number;
}
export const NO_DRIFT: Drift = { groupsMissing: 0, groupsRenamed: 0, membersMissing: 0, membersExtra: 0 };

/** What a read-back found: the drift, and the duplicate managed groups it deleted. */
export type RepairResult = Drift & { duplicates: number };

/** Item outcomes of one membership call, by direction. */
export interface ItemOutcomes {
  added?: ItemResult;
  removed?: ItemResult;
}

export interface SessionOptions {
  now: () => number;
  /** the wait before the n-th retry of a failed item */
  retryDelayMs: (attempts: number) => number;
  leaseMs: number;
  /**
   * How long a create whose answer never came may still be applied (the provider timeout's
   * ceiling): a read-back that does not find its group before then keeps it pending instead of
   * creating again, so an adaptive timeout gives up on the answer sooner but never re-creates
   * sooner than the fixed timeout did. 0: no wait.
   */
  createAnswerWindowMs?: number;
}

/**
 * One reconcile's unit of work on one account: it owns the loaded state, and each typed
 * operation changes that state and writes the same change, fenced by the lease, before it
 * returns. Nothing else builds ledger, retry, rejection or status writes.
 */
export class AccountSession {
  constructor(
    readonly lease: Lease,
    readonly state: LoadedAccount,
    private readonly store: SessionStore,
    private readonly opts: SessionOptions,
  ) {}

  /** the latest time a pending create may still be applied (ms); a reconcile looks again then */
  pendingCreatesUntil: number | undefined;

  get account(): string {
    return this.lease.account;
  }

  /** A pending create, not found by a read-back, that may still be applied: left pending. */
  private mayStillBeApplied(group: LedgerGroup): boolean {
    if (!group.pending || group.sentAt === undefined) return false;
    const now = this.opts.now();
    // a sender's clock ahead of this one's must not hold the account longer than the window
    const until = Math.min(group.sentAt, now) + (this.opts.createAnswerWindowMs ?? 0);
    if (until <= now) return false;
    this.pendingCreatesUntil = Math.max(this.pendingCreatesUntil ?? 0, until);
    return true;
  }

  get ledger() {
    return this.state.ledger;
  }

  /** Throws LeaseLostError when another worker owns the account now (checked before each call). */
  assertLease(): Promise<void> {
    return this.store.assertLease(this.lease, this.opts.leaseMs);
  }

  /** Asks for a read-back by the next reconcile: an outcome is unknown (not fenced: it only adds work). */
  requestResync(): Promise<void> {
    return this.store.requestResync(this.account);
  }

  /** Drops records that did not decode. A bad ledger is dropped whole: the read-back rebuilds it. */
  async discardCorrupt(): Promise<void> {
    const { corrupt } = this.state;
    const ops: WriteOp[] = [
      ...corrupt.rejections.map((field): WriteOp => ({ hash: 'rejections', op: 'del', field })),
      ...corrupt.retries.map((field): WriteOp => ({ hash: 'retries', op: 'del', field })),
      ...corrupt.status.map((field): WriteOp => ({ hash: 'status', op: 'del', field })),
    ];
    if (corrupt.ledger.length > 0) {
      ops.push({ hash: 'ledger', op: 'clear' });
      Object.assign(this.ledger, { foreignGroups: 0, epoch: undefined });
      this.ledger.groups.clear();
      this.ledger.members.clear();
      this.ledger.legacyMembers.clear();
    }
    await this.write(ops);
  }

  /** Written before a create is sent: a lost answer leaves it behind for the read-back to adopt. */
  async markCreatePending(folder: FolderKey, name: string): Promise<void> {
    await this.write(this.setGroup(folder, { name, pending: true, sentAt: this.opts.now() }));
  }

  /** A create succeeded: the group and the members it took are confirmed together. */
  async confirmCreate(
    folder: FolderKey,
    group: { groupId: string; name: string },
    added: ItemResult,
    fingerprint: (conv: ConversationKey) => string,
  ): Promise<void> {
    this.ledger.groups.set(folder, { ...group, pending: false });
    const ops = this.itemOps(folder, { added }, fingerprint);
    await this.write([...ops, ...this.folderOps(folder)]);
  }

  /** A create was refused for good: nothing was made. */
  async dropCreate(folder: FolderKey): Promise<void> {
    await this.write(this.forgetOps(folder));
  }

  async renamed(folder: FolderKey, name: string): Promise<void> {
    const group = this.ledger.groups.get(folder);
    if (!group) throw new Error(`renamed ${folder}: no group in the ledger`);
    await this.write(this.setGroup(folder, { ...group, name }));
  }

  /** Drops a group and its members (deleted by us, or found gone). */
  async forgetGroup(folder: FolderKey): Promise<void> {
    await this.write(this.forgetOps(folder));
  }

  /** Confirmed members, retries of transient refusals, rejections of permanent ones. */
  async recordItems(
    folder: FolderKey,
    outcomes: ItemOutcomes,
    fingerprint: (conv: ConversationKey) => string,
  ): Promise<void> {
    const ops = this.itemOps(folder, outcomes, fingerprint);
    await this.write([...ops, ...this.folderOps(folder)]);
  }

  async recordFolderError(folder: FolderKey, error: FolderError): Promise<void> {
    this.state.status.folderErrors.set(folder, error);
    await this.write([
      { hash: 'status', op: 'set', field: statusField.folderError(folder), value: encode.folderError(error) },
    ]);
  }

  /** Counts conversations this service created so they could be grouped (`status` shows it). */
  async conversationsCreated(count: number): Promise<void> {
    await this.write([
      this.statusNumber('conversationsCreated', (this.state.status.conversationsCreated ?? 0) + count),
    ]);
  }

  async setForeignGroups(count: number): Promise<void> {
    this.ledger.foreignGroups = count;
    await this.write([{ hash: 'ledger', op: 'set', field: ledgerField.foreign, value: String(count) }]);
  }

  /**
   * Makes the ledger say what the provider has. Returns the drift found: differences from a
   * ledger that was trusted (its epoch current and nothing pending). Adopting groups after first
   * contact or a lost create answer is not drift.
   */
  async applyReadBack(readBack: ReadBack, trusted: (folder: FolderKey) => boolean): Promise<Drift> {
    const ledger = this.ledger;
    const drift = { ...NO_DRIFT };
    const ops: WriteOp[] = [];
    const touched = new Set<FolderKey>();
    for (const [folder, group] of [...ledger.groups]) {
      if (readBack.groups.has(folder) || this.mayStillBeApplied(group)) continue;
      if (trusted(folder)) drift.groupsMissing++;
      ops.push(...this.forgetOps(folder));
    }
    for (const [folder, remote] of readBack.groups) {
      const mine = ledger.groups.get(folder);
      if (!mine || mine.pending || mine.groupId !== remote.groupId || mine.name !== remote.name) {
        if (mine && !mine.pending && mine.groupId === remote.groupId && trusted(folder))
          drift.groupsRenamed++;
        if (mine?.groupId !== undefined && mine.groupId !== remote.groupId)
          ops.push(...this.forgetOps(folder));
        ledger.groups.set(folder, { ...remote, pending: false });
        touched.add(folder);
      }
    }
    for (const [folder, now] of readBack.members) {
      const before = ledger.members.get(folder) ?? new Set<ConversationKey>();
      let changed = false;
      for (const conv of before) {
        if (now.has(conv)) continue;
        if (trusted(folder)) drift.membersMissing++;
        changed = true;
      }
      for (const conv of now) {
        if (before.has(conv)) continue;
        if (trusted(folder)) drift.membersExtra++;
        changed = true;
      }
      ledger.members.set(folder, new Set(now));
      if (changed) touched.add(folder);
    }
    for (const folder of touched) ops.push(...this.folderOps(folder));
    ledger.foreignGroups = readBack.foreignGroups;
    ops.push({
      hash: 'ledger',
      op: 'set',
      field: ledgerField.foreign,
      value: String(readBack.foreignGroups),
    });
    if (readBack.epoch !== undefined) {
      ledger.epoch = readBack.epoch;
      ops.push({ hash: 'ledger', op: 'set', field: ledgerField.epoch, value: readBack.epoch });
      ops.push(this.statusNumber('verifiedAt', this.opts.now()));
    }
    if (readBack.resyncRequest !== undefined) {
      ops.push({ hash: 'resync', op: 'delIfEquals', field: this.account, value: readBack.resyncRequest });
      this.state.resyncRequest = undefined;
    }
    if (readBack.verifyRequest !== undefined) {
      ops.push({ hash: 'verify', op: 'delIfEquals', field: this.account, value: readBack.verifyRequest });
      this.state.verifyRequest = undefined;
    }
    await this.write(ops);
    if (readBack.epoch !== undefined) await this.store.markVerified(this.account, this.opts.now());
    return drift;
  }

  /**
   * Before a reconcile's first provider call: marks its calls in flight, so a process killed
   * between a call the provider applied and its ledger write leaves a mark the next reconcile
   * finds (and reads the groups back), instead of a ledger that silently misses the change.
   */
  async callsStarting(): Promise<void> {
    if (this.state.status.callsStartedAt !== undefined) return;
    const now = this.opts.now();
    await this.write([this.statusNumber('callsStartedAt', now)]);
    this.state.status.callsStartedAt = now;
  }

  /** The end of a reconcile: what it did, what is over the limits, which errors still hold. */
  async finish(summary: {
    startedAt: number;
    calls: number;
    /** memberships left out for a provider limit */
    overflow: number;
    staleRejections: readonly string[];
    failedFolders: ReadonlySet<FolderKey>;
    rulesGeneration: number | undefined;
  }): Promise<void> {
    const now = this.opts.now();
    const ops: WriteOp[] = summary.staleRejections.map((pair) => {
      this.state.rejections.delete(pair);
      return { hash: 'rejections', op: 'del', field: pair };
    });
    ops.push(
      this.statusNumber('lastSyncAt', now),
      this.statusNumber('lastDurationMs', now - summary.startedAt),
      this.statusNumber('lastCalls', summary.calls),
      this.statusNumber('overflow', summary.overflow),
    );
    if (summary.rulesGeneration !== undefined)
      ops.push(this.statusNumber('rulesGeneration', summary.rulesGeneration));
    if (this.state.status.callsStartedAt !== undefined) {
      // every call's outcome is in the ledger now
      ops.push({ hash: 'status', op: 'del', field: 'callsStartedAt' });
      this.state.status.callsStartedAt = undefined;
    }
    // members still in fields of their own move into their folder's field
    for (const folder of [...this.ledger.legacyMembers.keys()]) ops.push(...this.folderOps(folder));
    for (const folder of [...this.state.status.folderErrors.keys()]) {
      if (summary.failedFolders.has(folder)) continue;
      this.state.status.folderErrors.delete(folder);
      ops.push({ hash: 'status', op: 'del', field: statusField.folderError(folder) });
    }
    if (this.state.parked) {
      // it went through this time: no longer given up
      ops.push({ hash: 'parked', op: 'del', field: this.account });
      this.state.parked = undefined;
    }
    await this.write(ops);
  }

  // -------------------------------------------------------------------------------------------

  private async write(ops: readonly WriteOp[]): Promise<void> {
    await this.store.write(this.lease, ops);
  }

  private setGroup(folder: FolderKey, group: LedgerGroup): WriteOp[] {
    this.ledger.groups.set(folder, group);
    return this.folderOps(folder);
  }

  /**
   * The folder's field as the ledger now holds it (the group with its members), and the
   * deletion of its members' fields of before 0.4, which that field now holds.
   */
  private folderOps(folder: FolderKey): WriteOp[] {
    const group = this.ledger.groups.get(folder);
    // members without a group are never written: a reader would not trust them
    if (!group) return this.legacyOps(folder);
    const members = this.ledger.members.get(folder) ?? [];
    const value = encode.ledgerFolder(group, members);
    return [
      ...this.legacyOps(folder),
      { hash: 'ledger', op: 'set', field: ledgerField.group(folder), value },
    ];
  }

  private legacyOps(folder: FolderKey): WriteOp[] {
    const legacy = this.ledger.legacyMembers.get(folder);
    this.ledger.legacyMembers.delete(folder);
    return [...(legacy ?? [])].map((conv) => ({
      hash: 'ledger',
      op: 'del',
      field: ledgerField.legacyMember(folder, conv),
    }));
  }

  private forgetOps(folder: FolderKey): WriteOp[] {
    const ops: WriteOp[] = [
      ...this.legacyOps(folder),
      { hash: 'ledger', op: 'del', field: ledgerField.group(folder) },
    ];
    this.ledger.groups.delete(folder);
    this.ledger.members.delete(folder);
    return ops;
  }

  private statusNumber(field: StatusNumber, value: number): WriteOp {
    this.state.status[field] = value;
    return { hash: 'status', op: 'set', field, value: String(value) };
  }

  private itemOps(
    folder: FolderKey,
    outcomes: ItemOutcomes,
    fingerprint: (conv: ConversationKey) => string,
  ): WriteOp[] {
    const { state } = this;
    const ops: WriteOp[] = [];
    let members = state.ledger.members.get(folder);
    if (!members) {
      members = new Set();
      state.ledger.members.set(folder, members);
    }
    for (const [direction, res] of [
      ['add', outcomes.added],
      ['remove', outcomes.removed],
    ] as const) {
      // the folder's field is written by the caller, once, with every change
      for (const conv of res?.succeeded ?? []) {
        if (direction === 'add') members.add(conv);
        else members.delete(conv);
        const pair = pairKey(folder, conv);
        if (state.retries.delete(pair)) ops.push({ hash: 'retries', op: 'del', field: pair });
        if (state.rejections.delete(pair)) ops.push({ hash: 'rejections', op: 'del', field: pair });
      }
      for (const f of res?.failed ?? []) ops.push(this.itemFailure(folder, f, fingerprint));
    }
    return ops;
  }

  private itemFailure(
    folder: FolderKey,
    f: ItemResult['failed'][number],
    fingerprint: (conv: ConversationKey) => string,
  ): WriteOp {
    const pair = pairKey(folder, f.conversation);
    const now = this.opts.now();
    if (f.kind === 'permanent') {
      const rejection = { code: f.code, msg: f.msg, at: now, fp: fingerprint(f.conversation) };
      this.state.rejections.set(pair, rejection);
      return { hash: 'rejections', op: 'set', field: pair, value: encode.rejection(rejection) };
    }
    // transient (or a per-item rate limit, which does not count as an attempt)
    const attempts = (this.state.retries.get(pair)?.attempts ?? 0) + (f.kind === 'rate_limited' ? 0 : 1);
    const retry = { attempts, code: f.code, notBefore: now + this.opts.retryDelayMs(Math.max(1, attempts)) };
    this.state.retries.set(pair, retry);
    return { hash: 'retries', op: 'set', field: pair, value: encode.retry(retry) };
  }
}
