import { createHash } from 'node:crypto';
import { CLUSTER_SLOTS, slotOf } from './slots.js';

/** Partitions of a new deployment when PARTITIONS is not set. */
export const DEFAULT_PARTITIONS = 16;
/** Most partitions a deployment may have (each costs every worker two BullMQ workers). */
export const MAX_PARTITIONS = 1024;

/**
 * The partition of an account: the first 32 bits of SHA-1 of its UTF-8 name, modulo the count.
 * Producers and workers compute it alike, in any language (`sha1(account)[0..8] as hex % N`).
 */
export function partitionOf(account: string, partitions: number): number {
  return createHash('sha1').update(account).digest().readUInt32BE(0) % partitions;
}

/**
 * The prefix of partition `p` of `partitions`: QUEUE_PREFIX with its {hash tag} suffixed
 * (`{folder-sync}` → `{folder-sync:p3}`, or `{folder-sync:p3.41}`), so each partition's keys and
 * queues sit in a Redis Cluster slot of their own; a prefix without a tag gets one
 * (`fs` → `fs:{p3}`). The suffix `.n`, the smallest that works, puts partition p's slot in the
 * p-th of `partitions` equal slices of the slot space: a cluster whose masters hold equal slot
 * ranges (what `redis-cli --cluster create` makes) holds an equal share of the partitions each.
 */
export function partitionPrefix(prefix: string, p: number, partitions: number): string {
  if (!(p >= 0 && p < partitions)) throw new RangeError(`partition ${p} is not one of 0..${partitions - 1}`);
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 2);
  const tagged = (tag: string) =>
    close < 0 ? `${prefix}:{${tag}}` : `${prefix.slice(0, close)}:${tag}${prefix.slice(close)}`;
  const from = Math.floor((p * CLUSTER_SLOTS) / partitions);
  const to = Math.floor(((p + 1) * CLUSTER_SLOTS) / partitions);
  for (let salt = 0; ; salt++) {
    const candidate = tagged(salt === 0 ? `p${p}` : `p${p}.${salt}`);
    const slot = slotOf(candidate);
    if (slot >= from && slot < to) return candidate;
  }
}

/** The partition a prefix made by partitionPrefix names, or undefined for the app-wide prefix. */
export function partitionOfPrefix(prefix: string): number | undefined {
  const m = /:p(\d+)(?:\.\d+)?\}|:\{p(\d+)(?:\.\d+)?\}$/.exec(prefix);
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/** Every prefix a deployment writes under: the app-wide one first, then each partition's. */
export function allPrefixes(prefix: string, partitions: number): string[] {
  const id = `${partitions}|${prefix}`;
  let found = knownPrefixes.get(id);
  if (!found) {
    found = [prefix, ...Array.from({ length: partitions }, (_, p) => partitionPrefix(prefix, p, partitions))];
    knownPrefixes.set(id, found);
  }
  return found;
}
/** Prefixes already worked out (1,024 partitions take some 10^6 slot computations). */
const knownPrefixes = new Map<string, string[]>();

/**
 * Every Redis key this product writes besides BullMQ's own, in one place. App-wide state (the
 * rules, the deployment sentinel, the provider budget) sits under QUEUE_PREFIX; an account's
 * keys, and the per-partition indexes, under its partition's prefix. Every multi-key script
 * touches one partition or the app-wide tag, never both, so all of them work on a Cluster.
 */
export function keysFor(prefix: string, partitions: number) {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    throw new RangeError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}, not ${partitions}`);
  const parts = allPrefixes(prefix, partitions)
    .slice(1)
    .map((partitionPrefix, p) => partitionKeys(partitionPrefix, p));
  const partOf = (account: string) => parts[partitionOf(account, partitions)]!;
  return { prefix, partitions, parts, partOf, ...accountKeys(partOf), ...appKeys(prefix) };
}

/** A partition's indexes of its accounts, under its prefix. */
function partitionKeys(prefix: string, partition: number) {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    partition,
    prefix,
    /** every account of the partition ever seen (rules changes and resync --all walk it) */
    accounts: k('accounts'),
    /** account → number of its newest resync request; cleared only by the read-back that served it */
    resyncRequests: k('resync-requests'),
    /** account → why its reconcile was given up ({reason, at, attempts}); cleared by its next success */
    parked: k('parked'),
    /** account → when verification claimed it: its next reconcile reads back, on verification's budget */
    verifyRequests: k('verify-requests'),
    /** account → when its groups were last read back (score, ms): verification walks it oldest first */
    verified: k('verified'),
    /** account → who holds its lease now (`lease token|job lock key|job token|since`): see src/fleet/takeover.ts */
    holders: k('holders'),
  };
}

/** An account's keys, under its partition's prefix. */
function accountKeys(partOf: (account: string) => { prefix: string }) {
  const acct = (name: string) => (account: string) => [partOf(account).prefix, name, account].join(':');
  return {
    /** an event id, remembered 24 h in its account's partition */
    seen: (account: string, eventId: string) => [partOf(account).prefix, 'seen', eventId].join(':'),
    facts: acct('facts'),
    folders: acct('folders'),
    ledger: acct('ledger'),
    rejections: acct('rejections'),
    retries: acct('retries'),
    status: acct('status'),
    lease: acct('lease'),
    /** live conversations (c) and user folders (f) of the account, for their limits */
    counts: acct('counts'),
    /** conversation → change number: facts the fold changed since a reconcile evaluated them */
    dirty: acct('dirty'),
    /** what the last evaluation of a big account found (folder windows): see src/plan/incremental.ts */
    evaluation: acct('eval'),
    /** events of the account published and not folded yet (a reconcile waits for them) */
    pendingEvents: acct('pending'),
    /** a copy of a ledger that did not decode, kept a week for a post-mortem */
    quarantine: acct('quarantine'),
    /** while tracing: the events jobs' traces the account's next reconcile links to */
    traceLinks: acct('trace-links'),
  };
}

/** The app-wide keys, under QUEUE_PREFIX itself. */
function appKeys(prefix: string) {
  const app = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    callSlot: app('calls', 'next-slot'),
    callPause: app('calls', 'pause'),
    callPauseStreak: app('calls', 'pause-streak'),
    /** the verification budget's own slot (a share of the provider rate) */
    verifySlot: app('calls', 'verify-next-slot'),
    /** worker id → its last heartbeat (ms): every worker process that has not left */
    workers: app('workers'),
    /** whose turn it is to take over dead workers' accounts (one process per beat; PX) */
    takeoverTurn: app('workers', 'takeover-turn'),
    /** a worker process's heartbeat: present while it beats (PX = LOCK_MS) */
    alive: (worker: string) => app('alive', worker),
    /** the deployment sentinel: its epoch changes when Redis is found to have lost data */
    deployment: app('deployment'),
    /** the fleet's rules: version, hash, generation, body (one place for the whole fleet) */
    rules: app('rules'),
    /** a rules change held by the deletion guard until an operator confirms it */
    rulesHeld: app('rules', 'held'),
    /** the single-slot layout's set of accounts (before 0.3): read only to refuse that layout and move it */
    singleSlotAccounts: app('accounts'),
  };
}
export type Keys = ReturnType<typeof keysFor>;
export type PartitionKeys = Keys['parts'][number];
