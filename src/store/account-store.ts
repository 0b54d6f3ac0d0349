import { randomBytes } from 'node:crypto';
import { type AccountFacts, buildUserFolders, buildViews, type StoredUserFolder } from '../facts/views.js';
import type { ConversationKey, FolderKey, LedgerGroup } from '../plan/types.js';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** A permanent item refusal; not retried while the conversation's facts and the folder stay as they were. */
export interface Rejection {
  code: number;
  msg: string;
  at: number;
  /** fingerprint of (conversation facts, folder definition) when refused */
  fp: string;
}

/** A transient item failure waiting for its retry time. */
export interface RetryRecord {
  attempts: number;
  notBefore: number;
  code: number;
}

/** The confirmed state, mutable while a reconcile executes its plan. */
export interface MutableLedger {
  groups: Map<FolderKey, LedgerGroup>;
  members: Map<FolderKey, Set<ConversationKey>>;
  foreignGroups: number;
}

export interface LoadedAccount {
  facts: AccountFacts;
  userFolders: StoredUserFolder[];
  ledger: MutableLedger;
  rejections: Map<string, Rejection>;
  retries: Map<string, RetryRecord>;
  resync: boolean;
  status: Record<string, string>;
}

/** Index into the fenced-write script's KEYS. */
export const HASH = { ledger: 2, rejections: 3, retries: 4, status: 5 } as const;
export type WriteOp =
  | { hash: keyof typeof HASH; op: 'set'; field: string; value: string }
  | { hash: keyof typeof HASH; op: 'del'; field: string };

/** Ledger fields: `g|<folder>` group JSON, `m|<folder>|<conversation>` member, `foreign` count. */
export const ledgerField = {
  group: (folder: FolderKey) => `g|${folder}`,
  member: (folder: FolderKey, conv: ConversationKey) => `m|${folder}|${conv}`,
  foreign: 'foreign',
};

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(account: string) {
    super(`lost the lease on account ${account}: another worker owns it now`);
  }
}

export interface Lease {
  account: string;
  token: string;
}

/** Redis I/O for one account's facts, ledger and bookkeeping. */
export class AccountStore {
  constructor(
    readonly redis: ScriptedRedis,
    readonly keys: Keys,
  ) {}

  async load(account: string): Promise<LoadedAccount> {
    const k = this.keys;
    const res = await this.redis
      .multi()
      .hgetall(k.facts(account))
      .hgetall(k.folders(account))
      .hgetall(k.ledger(account))
      .hgetall(k.rejections(account))
      .hgetall(k.retries(account))
      .sismember(k.resync, account)
      .hgetall(k.status(account))
      .exec();
    if (!res) throw new Error('Redis transaction aborted');
    const [facts, folders, ledger, rejections, retries, resync, status] = res.map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [
      Record<string, string>,
      Record<string, string>,
      Record<string, string>,
      Record<string, string>,
      Record<string, string>,
      number,
      Record<string, string>,
    ];
    return {
      facts: buildViews(facts),
      userFolders: buildUserFolders(folders),
      ledger: parseLedger(ledger),
      rejections: parseJsonMap<Rejection>(rejections),
      retries: parseJsonMap<RetryRecord>(retries),
      resync: resync === 1,
      status,
    };
  }

  async acquireLease(account: string, ttlMs: number): Promise<Lease | undefined> {
    const token = randomBytes(12).toString('hex');
    const ok = await this.redis.set(this.keys.lease(account), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? { account, token } : undefined;
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    return (await this.redis.fsRenewLease(this.keys.lease(lease.account), lease.token, ttlMs)) === 1;
  }

  /** Renews the lease, or throws LeaseLostError when another worker owns the account now. */
  async assertLease(lease: Lease, ttlMs: number): Promise<void> {
    if (!(await this.renewLease(lease, ttlMs))) throw new LeaseLostError(lease.account);
  }

  /** The next reconcile reads the provider's groups back first (an outcome is unknown). */
  async requestResync(account: string): Promise<void> {
    await this.redis.sadd(this.keys.resync, account);
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.redis.fsReleaseLease(this.keys.lease(lease.account), lease.token);
  }

  /** Applies ops only while the lease is still ours; throws LeaseLostError otherwise. */
  async write(lease: Lease, ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const k = this.keys;
    const a = lease.account;
    const args: Array<string | number> = [];
    for (const o of ops)
      args.push(HASH[o.hash], o.op === 'set' ? 's' : 'd', o.field, o.op === 'set' ? o.value : '');
    const written = await this.redis.fsFencedWrite(
      k.lease(a),
      k.ledger(a),
      k.rejections(a),
      k.retries(a),
      k.status(a),
      lease.token,
      ...args,
    );
    if (written !== 1) throw new LeaseLostError(a);
  }

  async clearResync(account: string): Promise<void> {
    await this.redis.srem(this.keys.resync, account);
  }
}

export function parseLedger(hash: Readonly<Record<string, string>>): MutableLedger {
  const ledger: MutableLedger = { groups: new Map(), members: new Map(), foreignGroups: 0 };
  for (const [field, value] of Object.entries(hash)) {
    if (field === ledgerField.foreign) ledger.foreignGroups = Number(value) || 0;
    else if (field.startsWith('g|'))
      ledger.groups.set(field.slice(2) as FolderKey, JSON.parse(value) as LedgerGroup);
    else if (field.startsWith('m|')) {
      const sep = field.indexOf('|', 2);
      const folder = field.slice(2, sep) as FolderKey;
      let set = ledger.members.get(folder);
      if (!set) {
        set = new Set();
        ledger.members.set(folder, set);
      }
      set.add(field.slice(sep + 1) as ConversationKey);
    }
  }
  return ledger;
}

function parseJsonMap<T>(hash: Readonly<Record<string, string>>): Map<string, T> {
  return new Map(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as T]));
}
