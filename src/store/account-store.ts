import { PACK_FIELD, recordInPack } from '../facts/record.js';
import {
  type AccountFacts,
  buildUserFolders,
  buildViewsSteps,
  type StoredUserFolder,
} from '../facts/views.js';
import type { RedisClient } from '../jobs/connection.js';
import type { EvaluationSummary, FolderWindow } from '../plan/incremental.js';
import type { ConversationKey, FolderKey } from '../plan/types.js';
import { drain, runSliced, type Steps } from '../steps.js';
import { holderTail, type LeaseHolder, leaseToken } from './holders.js';
import type { Keys } from './keys.js';
import { migrateLegacyFacts } from './migrate-facts.js';
import {
  type AccountStatusRecord,
  decodeEvaluation,
  decodeLedger,
  decodeParked,
  decodeRejections,
  decodeRetries,
  decodeStatus,
  type EvaluationMeta,
  encode,
  evaluationField,
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
  /** conversations the fold changed since they were last evaluated → their change number, as read */
  dirty: Map<string, string>;
  /** whether a kept evaluation existed (a full evaluation that keeps none must drop it) */
  evaluationKept: boolean;
  /** legacy facts fields (before records) read, to move into records */
  legacyFacts: number;
  /** HLEN(facts) − counts.n as read: only a facts write other than the fold's changes it */
  factsOffset?: number;
  /**
   * Set when only the changed conversations' facts were read (`facts` holds just those): the
   * kept evaluation to update with them. A reconcile that needs a full evaluation after all
   * calls `loadFacts`.
   */
  kept?: KeptEvaluation;
}

/** A kept evaluation as read for an incremental reconcile. */
export interface KeptEvaluation {
  meta: EvaluationMeta;
  summary: EvaluationSummary;
  /** the folders each changed conversation was a candidate of */
  before: Map<ConversationKey, number[]>;
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
  dirty?: Record<string, string>;
  evaluationKept?: boolean;
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
    dirty: new Map(Object.entries(raw.dirty ?? {})),
    evaluationKept: raw.evaluationKept ?? false,
    legacyFacts: views.legacy,
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

/** More changed conversations than this: the whole account is read and evaluated. */
const MAX_CHANGED = 5_000;

/** Evaluation fields written per call of a rebuild (Redis is not held long by one call). */
const SAVE_SLICE = 5_000;

/** Facts fields read in one reply; a bigger hash is read page by page. */
const FACTS_PAGE = 5_000;

/** How long a quarantined ledger is kept for a post-mortem. */
const QUARANTINE_TTL_SECONDS = 7 * 24 * 3600;

/** A kept evaluation's fields to write or drop, and the dirty marks it accounts for. */
export interface EvaluationChange {
  clear: boolean;
  set: Array<[string, string]>;
  del: string[];
  dirty: ReadonlyMap<string, string>;
}

/** Redis I/O for one account's facts, ledger and bookkeeping. */
export class AccountStore {
  constructor(
    readonly redis: RedisClient,
    readonly keys: Keys,
  ) {}

  /**
   * Everything a reconcile reads of an account. With `incremental`, an account whose kept
   * evaluation is usable (see `keptEvaluation`) has only its changed conversations' facts
   * read, with that evaluation; any other is read whole.
   */
  async load(account: string, opts: { incremental?: boolean } = {}): Promise<LoadedAccount> {
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
      .hgetall(k.dirty(account))
      .hget(k.evaluation(account), evaluationField.meta)
      .hget(k.counts(account), 'n')
      .exec();
    if (!res) throw new Error('Redis transaction aborted');
    const values = res.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const hash = (i: number) => values[i] as Record<string, string>;
    const text = (i: number) => values[i] as string | null;
    const raw = {
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
      dirty: hash(9),
      evaluationKept: text(10) !== null,
    };
    const meta = decodeEvaluation.meta(text(10));
    const usable =
      opts.incremental === true &&
      meta !== undefined &&
      meta.offset === (values[0] as number) - Number(text(11) ?? 0) &&
      String(meta.generation) === String(raw.rulesGeneration) &&
      raw.resyncRequest === null &&
      raw.verifyRequest === null &&
      Object.keys(raw.dirty).length <= MAX_CHANGED;
    const kept = usable ? await this.keptEvaluation(account, meta, Object.keys(raw.dirty)) : undefined;
    const facts = kept ? kept.facts : await this.readFacts(account, values[0] as number);
    const state = await runSliced(decodeAccountSteps({ facts, ...raw }));
    const factsOffset = (values[0] as number) - Number(text(11) ?? 0);
    return kept ? { ...state, factsOffset, kept: kept.evaluation } : { ...state, factsOffset };
  }

  /** The facts of the whole account, decoded (a reconcile that loaded only changes and needs all). */
  async loadFacts(
    account: string,
  ): Promise<Pick<LoadedAccount, 'facts' | 'legacyFacts'> & { corrupt: number }> {
    const facts = await this.readFacts(account, await this.redis.hlen(this.keys.facts(account)));
    const views = await runSliced(buildViewsSteps(facts));
    return { facts: views.facts, legacyFacts: views.legacy, corrupt: views.corrupt };
  }

  /** Moves the account's legacy facts fields into records (src/store/migrate-facts.ts). */
  migrateLegacyFacts(account: string): Promise<number> {
    return migrateLegacyFacts(this.redis, this.keys, account);
  }

  /** Conversations' facts records by key (absent ones left out). */
  async readRecords(account: string, conversations: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    if (conversations.length === 0) return out;
    const values = await this.redis.hmget(this.keys.facts(account), PACK_FIELD, ...conversations);
    return recordsFrom(conversations, values);
  }

  /**
   * The kept evaluation and the changed conversations' records, read together; undefined when
   * any of it does not decode (the reconcile then evaluates in full and writes it again).
   */
  private async keptEvaluation(account: string, meta: EvaluationMeta, changed: string[]) {
    const k = this.keys;
    const windows = Array.from({ length: meta.folders }, (_, i) => evaluationField.window(i));
    const multi = this.redis.multi();
    if (changed.length)
      multi.hmget(k.facts(account), PACK_FIELD, ...changed).hmget(k.evaluation(account), ...changed);
    if (windows.length) multi.hmget(k.evaluation(account), ...windows);
    const res = (await multi.exec()) ?? [];
    const values = res.map(([err, value]) => {
      if (err) throw err;
      return value as Array<string | null>;
    });
    const [records = [], memberships = [], windowTexts = []] = changed.length ? values : [[], [], values[0]];
    const facts = recordsFrom(changed, records);
    const before = new Map<ConversationKey, number[]>();
    for (const [i, c] of changed.entries()) {
      const folders = decodeEvaluation.membership(memberships[i] ?? null);
      if (!folders || folders.some((f) => f >= meta.folders)) return undefined;
      before.set(c as ConversationKey, folders);
    }
    const decoded = (windowTexts ?? []).map((t) => decodeEvaluation.window(t ?? null));
    if (decoded.some((w) => w === undefined)) return undefined;
    const summary: EvaluationSummary = {
      defs: meta.defs,
      over: meta.over,
      distinct: meta.distinct,
      size: meta.size,
      windows: decoded as FolderWindow[],
    };
    return { facts, evaluation: { meta, summary, before } };
  }

  /**
   * Writes a kept evaluation (or drops it: `clear` with nothing to set) and clears the dirty
   * marks it accounts for, fenced by the lease. A big rebuild goes in slices, its summary last,
   * so a crash halfway leaves no usable evaluation rather than a partial one.
   */
  async saveEvaluation(lease: Lease, change: EvaluationChange): Promise<void> {
    const k = this.keys;
    const a = lease.account;
    const call = async (clear: boolean, set: Array<[string, string]>, del: string[], dirty: string[]) => {
      const written = await this.redis.fsSaveEvaluation(
        k.lease(a),
        k.evaluation(a),
        k.dirty(a),
        lease.token,
        clear ? '1' : '0',
        set.length,
        del.length,
        ...set.flat(),
        ...del,
        ...dirty,
      );
      if (written !== 1) throw new LeaseLostError(a);
    };
    let clear = change.clear;
    let set = change.set;
    while (set.length > SAVE_SLICE) {
      await call(clear, set.slice(0, SAVE_SLICE), [], []);
      clear = false;
      set = set.slice(SAVE_SLICE);
    }
    await call(clear, set, change.del, [...change.dirty].flat());
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

  /** Takes the account's lease if free; a holder is recorded so a dead worker's lease can be taken over. */
  async acquireLease(account: string, ttlMs: number, holder?: LeaseHolder): Promise<Lease | undefined> {
    const token = leaseToken(holder?.worker);
    const lease = this.keys.lease(account);
    const holders = this.keys.partOf(account).holders;
    const tail = holder ? holderTail(holder) : '';
    const taken = await this.redis.fsAcquireLease(lease, holders, token, ttlMs, account, tail);
    return taken === 1 ? { account, token } : undefined;
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
    const { account, token } = lease;
    await this.redis.fsReleaseLease(
      this.keys.lease(account),
      this.keys.partOf(account).holders,
      token,
      account,
    );
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

/** Conversations' records from an HMGET of the pack then their fields (absent ones left out). */
function recordsFrom(
  conversations: readonly string[],
  values: ReadonlyArray<string | null>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const pack = values[0];
  conversations.forEach((c, i) => {
    const record = values[i + 1] ?? recordInPack(pack, c);
    if (record != null) out[c] = record;
  });
  return out;
}
