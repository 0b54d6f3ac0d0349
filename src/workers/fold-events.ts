import type { Redis } from 'ioredis';
import type { DomainEvent } from '../events/schema.js';
import { eventWrites } from '../facts/encode.js';
import { tiebreakOf } from '../facts/registers.js';
import type { Keys } from '../store/keys.js';

/** An event id is remembered this long: a repeat inside the window is ignored. */
export const SEEN_TTL_SECONDS = 24 * 3600;

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
  /** malformed events in the job (written by something other than the publisher): skipped */
  invalid: number;
}

/** Just enough shape to fold; publish() validated the rest (this guards hand-written jobs). */
function foldable(e: unknown): e is DomainEvent {
  const x = e as Partial<DomainEvent> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.id === 'string' &&
    typeof x.account === 'string' &&
    typeof x.type === 'string' &&
    Number.isSafeInteger(x.at)
  );
}

/**
 * Folds a batch of validated events into per-account facts: one atomic script per event,
 * all of them in one pipeline round trip.
 */
export async function foldEvents(
  redis: Redis,
  keys: Keys,
  events: readonly DomainEvent[],
): Promise<FoldResult> {
  const pipeline = redis.pipeline();
  const folded: DomainEvent[] = [];
  let invalid = 0;
  for (const e of events) {
    const args: Array<string | number> = [];
    try {
      if (!foldable(e)) throw new Error('not an event');
      for (const w of eventWrites(e)) args.push(w.hash === 'facts' ? 'f' : 'd', w.mode, w.field, w.payload);
    } catch {
      invalid++;
      continue;
    }
    folded.push(e);
    void pipeline.fsApplyEvent(
      keys.seen(e.id),
      keys.facts(e.account),
      keys.folders(e.account),
      keys.accounts,
      keys.resyncRequests,
      keys.verified,
      keys.pendingEvents(e.account),
      e.account,
      SEEN_TTL_SECONDS,
      String(e.at),
      String(tiebreakOf(e.id)),
      e.type === 'account.resync' ? '1' : '0',
      ...args,
    );
  }
  const results = (await pipeline.exec()) ?? [];
  const out: FoldResult = { dirty: new Set(), changed: 0, duplicates: 0, stale: 0, invalid };
  results.forEach(([error, result], i) => {
    if (error) throw error;
    if (result === 2) {
      out.stale++;
      return;
    }
    out.dirty.add(folded[i]!.account);
    if (result === 1) out.changed++;
    else out.duplicates++;
  });
  return out;
}
