import type { ReconcileStore } from '../../src/reconcile/reconcile.js';
import { decodeAccount, type Lease, LeaseLostError, type WriteOp } from '../../src/store/account-store.js';

type Hash = Map<string, string>;
const HASHES = ['facts', 'folders', 'ledger', 'rejections', 'retries', 'status'] as const;

/**
 * One account's storage in memory, with the same fencing and codec as AccountStore: for tests
 * of the reconcile's branches that need no Redis.
 */
export class MemoryStore implements ReconcileStore {
  readonly hashes: Record<(typeof HASHES)[number], Hash> = {
    facts: new Map(),
    folders: new Map(),
    ledger: new Map(),
    rejections: new Map(),
    retries: new Map(),
    status: new Map(),
  };
  /** account → pending resync request number */
  readonly resync = new Map<string, string>();
  readonly verify = new Map<string, string>();
  readonly parked = new Map<string, string>();
  readonly verified = new Map<string, number>();
  readonly quarantined: Array<Record<string, string>> = [];
  lease: { token: string } | undefined;
  deployment: string | null = null;
  rulesGeneration: string | null = null;
  writes = 0;
  private tokens = 0;

  async load(_account: string) {
    const plain = (h: Hash) => Object.fromEntries(h);
    return decodeAccount({
      facts: plain(this.hashes.facts),
      folders: plain(this.hashes.folders),
      ledger: plain(this.hashes.ledger),
      rejections: plain(this.hashes.rejections),
      retries: plain(this.hashes.retries),
      status: plain(this.hashes.status),
      resyncRequest: this.resync.get(_account) ?? null,
      verifyRequest: this.verify.get(_account) ?? null,
      parked: this.parked.get(_account) ?? null,
      deployment: this.deployment,
      rulesGeneration: this.rulesGeneration,
    });
  }

  async acquireLease(account: string): Promise<Lease | undefined> {
    if (this.lease) return undefined;
    this.lease = { token: `t${++this.tokens}` };
    return { account, token: this.lease.token };
  }

  async renewLease(lease: Lease): Promise<boolean> {
    return this.lease?.token === lease.token;
  }

  async assertLease(lease: Lease): Promise<void> {
    if (!(await this.renewLease(lease))) throw new LeaseLostError(lease.account);
  }

  async releaseLease(lease: Lease): Promise<void> {
    if (this.lease?.token === lease.token) this.lease = undefined;
  }

  /** What a successor does: the lease is taken from under its holder. */
  stealLease(): void {
    this.lease = { token: `t${++this.tokens}` };
  }

  async write(lease: Lease, ops: readonly WriteOp[]): Promise<void> {
    if (this.lease?.token !== lease.token) throw new LeaseLostError(lease.account);
    this.writes++;
    for (const o of ops) {
      const byName: Record<string, Hash> = { resync: this.resync, verify: this.verify, parked: this.parked };
      const hash = byName[o.hash] ?? this.hashes[o.hash as keyof MemoryStore['hashes']];
      if (o.op === 'set') hash.set(o.field, o.value);
      else if (o.op === 'del') hash.delete(o.field);
      else if (o.op === 'clear') hash.clear();
      else if (hash.get(o.field) === o.value) hash.delete(o.field);
    }
  }

  async requestResync(account: string): Promise<void> {
    this.resync.set(account, String(Number(this.resync.get(account) ?? 0) + 1));
  }

  async markVerified(account: string, at: number): Promise<void> {
    this.verified.set(account, at);
  }

  async quarantineLedger(): Promise<void> {
    this.quarantined.push(Object.fromEntries(this.hashes.ledger));
  }
}
