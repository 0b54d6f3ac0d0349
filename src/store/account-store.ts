import { randomBytes } from 'node:crypto';
import {
  type AccountFacts,
  buildUserFolders,
  buildViewsSteps,
  type StoredUserFolder,
} from '../facts/views.js';
import type { RedisClient } from '../jobs/connection.js';
import type { FolderKey } from '../plan/types.js';
import { drain, runSliced, type Steps } from '../steps.js';
import type { Keys } from './keys.js';
import {
  type AccountStatusRecord,
  decodeLedger,
  decodeParked,
  decodeRejections,
  decodeRetries,
  decodeStatus,
  encode,
  type MutableLedger,
  type ParkedRecord,
  type Rejection,
  type RetryRecord,
} from './records.js';

/** Everything a reconcile reads of one account, read in one MULTI. */
export interface LoadedAccount {
  facts: AccountFacts;
  userFolders: StoredUserFolder[];
  /** user folders whose stored record does not decode: their groups are left as they are */
  frozenFolders: Set<FolderKey>;
  ledger: MutableLedger;
  rejections: Map<string, Rejection>;
  retries: Map<string, RetryRecord>;
  status: AccountStatusRecord;
  /** the number of the resync request waiting for this account, if one is */
  resyncRequest: string | undefined;
  /** verification's request for a read-back (its claim time), if one waits */
  verifyRequest: string | undefined;
  /** why the account's reconcile was given up, if it was (its next success clears it) */
  parked: ParkedRecord | undefined;
  /** fields that did not decode: the ledger's are quarantined, the others dropped */
  corrupt: { ledger: string[]; rejections: string[]; retries: string[]; status: string[]; facts: number };
  /** the deployment sentinel and the fleet's rules generation, as of this read */
  fleet: { deployment: string | null; rulesGeneration: number | undefined };
}

/** An account's stored hashes and fleet fields, as read. */
export interface RawAccount {
  facts: Record<string, string>;
  folders: Record<string, string>;
  ledger: Record<string, string>;
  rejections: Record<string, string>;
  retries: Record<string, string>;
  status: Record<string, string>;
  resyncRequest: string | null;
  verifyRequest: string | null;
  parked: string | null;
  deployment: string | null;
  rulesGeneration: string | null;
}

/** Decodes what `load` read (pure): every record through the codec, corrupt ones reported. */
export function* decodeAccountSteps(raw: RawAccount): Steps<LoadedAccount> {
  const views = yield* buildViewsSteps(raw.facts);
  const userFolders = buildUserFolders(raw.folders);
  const ledger = decodeLedger(raw.ledger);
  const rejections = decodeRejections(raw.rejections);
  const retries = decodeRetries(raw.retries);
  const status = decodeStatus(raw.status);
  return {
    facts: views.facts,
    userFolders: userFolders.folders,
    frozenFolders: new Set(userFolders.corrupt),
    ledger: ledger.value,
    rejections: rejections.value,
    retries: retries.value,
    status: status.value,
    resyncRequest: raw.resyncRequest ?? undefined,
    verifyRequest: raw.verifyRequest ?? undefined,
    parked: decodeParked(raw.parked),
    corrupt: {
      ledger: ledger.corrupt,
      rejections: rejections.corrupt,
      retries: retries.corrupt,
      status: status.corrupt,
      facts: views.corrupt,
    },
    fleet: {
      deployment: raw.deployment,
      rulesGeneration: raw.rulesGeneration === null ? undefined : Number(raw.rulesGeneration),
    },
  };
}

/** decodeAccountSteps run at once. */
export const decodeAccount = (raw: RawAccount): LoadedAccount => drain(decodeAccountSteps(raw));

/** Index into the fenced-write script's KEYS. */
const HASH = { ledger: 2, rejections: 3, retries: 4, status: 5, resync: 6, verify: 7, parked: 8 } as const;
export type WriteOp =
  | { hash: keyof typeof HASH; op: 'set'; field: string; value: string }
  | { hash: keyof typeof HASH; op: 'del'; field: string }
  /** delete the field only while it still holds `value` */
  | { hash: keyof typeof HASH; op: 'delIfEquals'; field: string; value: string }
  /** delete the whole hash */
  | { hash: keyof typeof HASH; op: 'clear' };
const OP_CODE = { set: 's', del: 'd', delIfEquals: 'c', clear: 'x' } as const;

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

/** Facts fields read in one reply; a bigger hash is read page by page. */
const FACTS_PAGE = 5_000;

/** How long a quarantined ledger is kept for a post-mortem. */
const QUARANTINE_TTL_SECONDS = 7 * 24 * 3600;

/** Redis I/O for one account's facts, ledger and bookkeeping. */
export class AccountStore {
  constructor(
    readonly redis: RedisClient,
    readonly keys: Keys,
  ) {}

  async load(account: string): Promise<LoadedAccount> {
    const k = this.keys;
    const part = k.partOf(account);
    // The fleet's fields first, in their own slot: a rules install or a new epoch after this
    // read is met by the walk or the sentinel check that follows it, never missed.
    const [deployment, rulesGeneration] = await Promise.all([
      this.redis.get(k.deployment),
      this.redis.hget(k.rules, 'generation'),
    ]);
    const res = await this.redis
      .multi()
      .hlen(k.facts(account))
      .hgetall(k.folders(account))
      .hgetall(k.ledger(account))
      .hgetall(k.rejections(account))
      .hgetall(k.retries(account))
      .hgetall(k.status(account))
      .hget(part.resyncRequests, account)
      .hget(part.verifyRequests, account)
      .hget(part.parked, account)
      .exec();
    if (!res) throw new Error('RedisClient transaction aborted');
    const values = res.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const hash = (i: number) => values[i] as Record<string, string>;
    const text = (i: number) => values[i] as string | null;
    const facts = await this.readFacts(account, values[0] as number);
    return runSliced(
      decodeAccountSteps({
        facts,
        folders: hash(1),
        ledger: hash(2),
        rejections: hash(3),
        retries: hash(4),
        status: hash(5),
        resyncRequest: text(6),
        verifyRequest: text(7),
        parked: text(8),
        deployment,
        rulesGeneration,
      }),
    );
  }

  /**
   * An account's facts: in one reply when small; a big account's (100k conversations are some
   * 300k fields) page by page, giving the event loop a turn between pages, since parsing one
   * huge reply would hold it for half a second. Pages are not one snapshot: a fold meanwhile
   * marks the account for another reconcile, which reads again.
   */
  private async readFacts(account: string, fields: number): Promise<Record<string, string>> {
    const key = this.keys.facts(account);
    if (fields <= FACTS_PAGE) return this.redis.hgetall(key);
    const facts: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, page] = await this.redis.hscan(key, cursor, 'COUNT', FACTS_PAGE);
      cursor = next;
      for (let i = 0; i + 1 < page.length; i += 2) facts[page[i]!] = page[i + 1]!;
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (cursor !== '0');
    return facts;
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
    await this.redis.hincrby(this.keys.partOf(account).resyncRequests, account, 1);
  }

  /** Gives up an account's reconcile until something asks for it again (not fenced: no lease is held). */
  async park(account: string, record: ParkedRecord): Promise<void> {
    await this.redis.hset(this.keys.partOf(account).parked, account, encode.parked(record));
  }

  async markVerified(account: string, at: number): Promise<void> {
    await this.redis.zadd(this.keys.partOf(account).verified, at, account);
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.redis.fsReleaseLease(this.keys.lease(lease.account), lease.token);
  }

  /** Applies ops only while the lease is still ours; throws LeaseLostError otherwise. */
  async write(lease: Lease, ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const k = this.keys;
    const a = lease.account;
    const part = k.partOf(a);
    const args: Array<string | number> = [];
    for (const o of ops) {
      args.push(HASH[o.hash], OP_CODE[o.op], 'field' in o ? o.field : '', 'value' in o ? o.value : '');
    }
    const written = await this.redis.fsFencedWrite(
      k.lease(a),
      k.ledger(a),
      k.rejections(a),
      k.retries(a),
      k.status(a),
      part.resyncRequests,
      part.verifyRequests,
      part.parked,
      lease.token,
      ...args,
    );
    if (written !== 1) throw new LeaseLostError(a);
  }

  /** Keeps a copy of an account's ledger that did not decode, for a post-mortem. */
  async quarantineLedger(account: string): Promise<void> {
    const target = this.keys.quarantine(account);
    await this.redis
      .multi()
      .copy(this.keys.ledger(account), target, 'REPLACE')
      .expire(target, QUARANTINE_TTL_SECONDS)
      .exec();
  }
}
