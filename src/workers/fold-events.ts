import type { AccountLimits } from '../events/limits.js';
import type { DomainEvent } from '../events/schema.js';
import { type ValidationContext, validateEvent } from '../events/validate.js';
import { eventWrites } from '../facts/encode.js';
import { PACK_MAX_BYTES, PACK_MAX_ENTRIES, stamp36 } from '../facts/record.js';
import { tiebreakOf } from '../facts/registers.js';
import type { RedisClient } from '../jobs/connection.js';
import type { Keys } from '../store/keys.js';

/** An event id is remembered this long: a repeat inside the window is ignored. */
export const SEEN_TTL_SECONDS = 24 * 3600;

export interface FoldOptions {
  validation: ValidationContext;
  accountLimits: AccountLimits;
}

export interface FoldResult {
  /**
   * Accounts that need a reconcile: their facts changed, they asked for a resync, or an event
   * was a duplicate. A duplicate may be this very batch run again after a crash between folding
   * and queueing, so its account is queued too (a reconcile with nothing to do makes no calls).
   */
  dirty: Set<string>;
  changed: number;
  duplicates: number;
  stale: number;
  /**
   * events that do not pass validation (a job written by something other than the publisher:
   * the dashboard, a direct Redis write, another version): skipped, with their reasons
   */
  invalid: Array<{ index: number; errors: string[] }>;
  /** events that would take their account over a limit: not folded */
  overLimit: Array<{ account: string; id: string }>;
}

const FOLD_RESULT = { duplicate: 0, changed: 1, stale: 2, overLimit: 3 } as const;
const COUNTER = { conversations: 'c', folders: 'f' } as const;

type Pipeline = ReturnType<RedisClient['pipeline']>;

/** One partition's pipeline, and the events it folds in reply order. */
interface PartitionBatch {
  pipeline: Pipeline;
  folded: DomainEvent[];
}

/**
 * Folds a batch of events into per-account facts: each is validated again (a job may come from
 * anywhere that writes to Redis), then one atomic script per event, all of a partition's in one
 * pipeline round trip.
 */
export async function foldEvents(
  redis: RedisClient,
  keys: Keys,
  events: readonly unknown[],
  opts: FoldOptions,
): Promise<FoldResult> {
  const out: FoldResult = {
    dirty: new Set(),
    changed: 0,
    duplicates: 0,
    stale: 0,
    invalid: [],
    overLimit: [],
  };
  // one pipeline per partition: a Cluster refuses a pipeline whose keys live on several nodes
  const batches = new Map<number, PartitionBatch>();
  events.forEach((input, index) => {
    const result = validateEvent(input, opts.validation);
    if (!result.ok) {
      out.invalid.push({ index, errors: result.errors });
      return;
    }
    const partition = keys.partOf(result.event.account).partition;
    let batch = batches.get(partition);
    if (!batch) {
      batch = { pipeline: redis.pipeline(), folded: [] };
      batches.set(partition, batch);
    }
    batch.folded.push(result.event);
    queueApplyEvent(batch.pipeline, keys, result.event, opts);
  });
  const list = [...batches.values()];
  const replies = await Promise.all(list.map(({ pipeline }) => pipeline.exec()));
  for (const [p, batch] of list.entries()) countReplies(out, batch, replies[p] ?? null);
  return out;
}

/** Queues one event's applyEvent-9.lua: its keys, the event's stamp and limits, then its register writes. */
function queueApplyEvent(pipeline: Pipeline, keys: Keys, e: DomainEvent, opts: FoldOptions): void {
  const writes: Array<string | number> = [];
  for (const w of eventWrites(e)) {
    writes.push(
      w.hash === 'facts' ? 'f' : 'd',
      w.mode,
      w.field,
      w.payload,
      w.counts ? COUNTER[w.counts] : '-',
    );
  }
  const part = keys.partOf(e.account);
  const tiebreak = tiebreakOf(e.id);
  void pipeline.fsApplyEvent(
    keys.seen(e.account, e.id),
    keys.facts(e.account),
    keys.folders(e.account),
    part.accounts,
    part.resyncRequests,
    part.verified,
    keys.pendingEvents(e.account),
    keys.counts(e.account),
    keys.dirty(e.account),
    e.account,
    SEEN_TTL_SECONDS,
    String(e.at),
    String(tiebreak),
    e.type === 'account.resync' ? '1' : '0',
    opts.accountLimits.conversations,
    opts.accountLimits.userFolders,
    stamp36(e.at, tiebreak),
    PACK_MAX_ENTRIES,
    PACK_MAX_BYTES,
    ...writes,
  );
}

/** Counts a partition's replies into the result (a script's error fails the whole fold). */
function countReplies(
  out: FoldResult,
  batch: PartitionBatch,
  replies: [Error | null, unknown][] | null,
): void {
  (replies ?? []).forEach(([error, result], i) => {
    if (error) throw error;
    const e = batch.folded[i]!;
    if (result === FOLD_RESULT.stale) out.stale++;
    else if (result === FOLD_RESULT.overLimit) out.overLimit.push({ account: e.account, id: e.id });
    else {
      out.dirty.add(e.account);
      if (result === FOLD_RESULT.changed) out.changed++;
      else out.duplicates++;
    }
  });
}
