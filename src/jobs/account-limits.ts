import type { AccountLimits } from '../events/limits.js';
import type { DomainEvent } from '../events/schema.js';
import { eventWrites } from '../facts/encode.js';
import { decodeRecord, PACK_FIELD, recordInPack, registerName } from '../facts/record.js';
import { isNewer, parseRegister, type Register } from '../facts/registers.js';
import type { Keys } from '../store/keys.js';
import type { RedisClient } from './connection.js';

type Counter = 'conversations' | 'folders';
const LIMIT_NAME = {
  conversations: 'ACCOUNT_MAX_CONVERSATIONS',
  folders: 'ACCOUNT_MAX_USER_FOLDERS',
} as const;
const limitOf = (limits: AccountLimits, counter: Counter) =>
  counter === 'conversations' ? limits.conversations : limits.userFolders;

/** The registers an event would make live or not live, with the hash each lives in. */
function liveness(e: DomainEvent) {
  return eventWrites(e).flatMap((w) =>
    w.counts
      ? [{ counter: w.counts, hash: w.hash, field: w.field, live: w.payload !== '' && w.payload !== '0' }]
      : [],
  );
}

/**
 * The events that would take their account over ACCOUNT_MAX_CONVERSATIONS or
 * ACCOUNT_MAX_USER_FOLDERS, by index, with the reason — checked before they are queued so the
 * producer hears it. Only accounts that could reach a limit with this batch are looked at
 * closely (the counts of all, then the registers of those; each account's own partition). The fold enforces
 * the limits exactly; this is the early answer (two producers racing may both pass here).
 */
export async function findOverAccountLimits(
  redis: RedisClient,
  keys: Keys,
  events: readonly DomainEvent[],
  limits: AccountLimits,
): Promise<Map<number, string>> {
  const byAccount = new Map<string, number[]>();
  for (const [i, e] of events.entries()) {
    const list = byAccount.get(e.account);
    if (list) list.push(i);
    else byAccount.set(e.account, [i]);
  }
  const refused = new Map<number, string>();
  for (const { account, have } of await accountsNearLimits(redis, keys, byAccount, limits)) {
    const indexes = byAccount.get(account)!;
    const liveNow = await liveRegisters(
      redis,
      keys,
      account,
      indexes.flatMap((i) => liveness(events[i]!)),
    );
    // in publishing order, as the fold will take them (a later `at` wins there; close enough)
    for (const i of indexes) {
      const reason = overLimit(events[i]!, have, liveNow, limits);
      if (reason) refused.set(i, reason);
    }
  }
  return refused;
}

type Counts = Record<Counter, number>;

/** The accounts this batch could take over a limit, with their live counts. */
async function accountsNearLimits(
  redis: RedisClient,
  keys: Keys,
  byAccount: ReadonlyMap<string, readonly number[]>,
  limits: AccountLimits,
): Promise<Array<{ account: string; have: Counts }>> {
  const accounts = [...byAccount.keys()];
  // one command each, sent together: accounts of several partitions (Cluster nodes) in one pipeline would be refused
  const counts = await Promise.all(accounts.map((a) => redis.hmget(keys.counts(a), 'c', 'f')));
  return accounts.flatMap((account, i) => {
    const [c, f] = counts[i]!;
    const have = { conversations: Number(c ?? 0), folders: Number(f ?? 0) };
    const batch = byAccount.get(account)!.length;
    const near = (counter: Counter) => have[counter] + batch > limitOf(limits, counter);
    return near('conversations') || near('folders') ? [{ account, have }] : [];
  });
}

/** Whether each of the registers is live now, by `hash|field`. */
async function liveRegisters(
  redis: RedisClient,
  keys: Keys,
  account: string,
  registers: ReadonlyArray<ReturnType<typeof liveness>[number]>,
): Promise<Map<string, boolean>> {
  // facts: a conversation's record (its field, else its entry in the pack) and the legacy
  // field of its register (an account not yet moved to records); folders: the register's field
  const stored = await redis
    .pipeline(
      registers.map((r) =>
        r.hash === 'facts'
          ? ['hmget', keys.facts(account), r.field.slice(0, r.field.indexOf('|', 2)), r.field, PACK_FIELD]
          : ['hmget', keys.folders(account), r.field],
      ),
    )
    .exec();
  const liveNow = new Map<string, boolean>();
  registers.forEach((r, j) => {
    const [own = null, legacy = null, pack = null] =
      (stored?.[j]?.[1] as Array<string | null> | undefined) ?? [];
    const conversation = r.field.slice(0, r.field.indexOf('|', 2));
    const first = r.hash === 'facts' ? (own ?? recordInPack(pack, conversation) ?? null) : own;
    const payload =
      r.hash === 'facts'
        ? newestPayload(first, legacy, r.field.slice(r.field.indexOf('|', 2) + 1))
        : parseRegister(first ?? '')?.payload;
    liveNow.set(`${r.hash}|${r.field}`, payload !== undefined && payload !== '' && payload !== '0');
  });
  return liveNow;
}

/**
 * Applies an event's registers to the live counts and registers (as the fold would), or says
 * which limit it would break (and applies nothing more of it).
 */
function overLimit(
  e: DomainEvent,
  have: Counts,
  liveNow: Map<string, boolean>,
  limits: AccountLimits,
): string | undefined {
  for (const r of liveness(e)) {
    const key = `${r.hash}|${r.field}`;
    if (r.live === liveNow.get(key)) continue;
    const next = have[r.counter] + (r.live ? 1 : -1);
    if (r.live && next > limitOf(limits, r.counter)) {
      return `account: ${e.account} has ${have[r.counter]} live ${r.counter === 'conversations' ? 'conversations' : 'user folders'}; at most ${limitOf(limits, r.counter)} are allowed (${LIMIT_NAME[r.counter]})`;
    }
    have[r.counter] = next;
    liveNow.set(key, r.live);
  }
  return undefined;
}

/** A register's payload from a conversation's record or its legacy field, the newer of the two. */
function newestPayload(record: string | null, legacy: string | null, suffix: string): string | undefined {
  const name = registerName(suffix);
  const inRecord: Register | undefined =
    record === null ? undefined : decodeRecord(record).registers.find((r) => r.name === name);
  const inLegacy = legacy === null ? undefined : parseRegister(legacy);
  if (inRecord && inLegacy) return (isNewer(inLegacy, inRecord) ? inLegacy : inRecord).payload;
  return (inRecord ?? inLegacy)?.payload;
}
