import type { DomainEvent } from '../events/schema.js';
import { eventWrites } from '../facts/encode.js';
import { tiebreakOf } from '../facts/registers.js';
import type { Keys } from '../store/keys.js';
import type { ScriptedRedis } from '../store/scripts.js';

/** An event id is remembered this long: a repeat inside the window is ignored. */
export const SEEN_TTL_SECONDS = 24 * 3600;

export interface FoldResult {
  /** accounts whose facts changed (or that asked for a resync): they need a reconcile */
  changed: Set<string>;
  duplicates: number;
  stale: number;
}

/**
 * Folds a batch of validated events into per-account facts: one atomic script per event,
 * all of them in one pipeline round trip.
 */
export async function foldEvents(
  redis: ScriptedRedis,
  keys: Keys,
  events: readonly DomainEvent[],
): Promise<FoldResult> {
  const pipeline = redis.pipeline() as unknown as ScriptedRedis;
  for (const e of events) {
    const args: Array<string | number> = [];
    for (const w of eventWrites(e)) args.push(w.hash === 'facts' ? 'f' : 'd', w.mode, w.field, w.payload);
    void pipeline.fsApplyEvent(
      keys.seen(e.id),
      keys.facts(e.account),
      keys.folders(e.account),
      keys.accounts,
      keys.resync,
      e.account,
      SEEN_TTL_SECONDS,
      String(e.at),
      String(tiebreakOf(e.id)),
      e.type === 'account.resync' ? '1' : '0',
      ...args,
    );
  }
  const results = (await (pipeline as unknown as ReturnType<ScriptedRedis['pipeline']>).exec()) ?? [];
  const out: FoldResult = { changed: new Set(), duplicates: 0, stale: 0 };
  results.forEach(([error, result], i) => {
    if (error) throw error;
    if (result === 1) out.changed.add(events[i]!.account);
    else if (result === 0) out.duplicates++;
    else out.stale++;
  });
  return out;
}
