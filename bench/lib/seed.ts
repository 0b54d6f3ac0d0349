/**
 * Seeds accounts' facts fast through the product's own fold (src/workers/fold-events.ts: the
 * same Lua script per event the events worker runs), skipping only BullMQ: pipelines of
 * events, several in flight. Each account gets `conversations` conversations whose facts put
 * them in Projects, Customers and Direct messages (examples/rules.json) in fixed proportions.
 */
import type { DomainEvent } from '../../src/events/schema.js';
import { defaultValidation } from '../../src/events/validate.js';
import type { RedisClient } from '../../src/jobs/connection.js';
import type { Keys } from '../../src/store/keys.js';
import { foldEvents } from '../../src/workers/fold-events.js';
import { conversationOf } from './workload.js';

/** Seeded accounts are as big as a benchmark asks: no per-account limit applies to them. */
const SEED_FOLD = {
  validation: defaultValidation(),
  accountLimits: { conversations: Number.MAX_SAFE_INTEGER, userFolders: Number.MAX_SAFE_INTEGER },
};

/** The events of one seeded account: one upsert per conversation, a customer tag on every 5th. */
export function accountEvents(account: string, conversations: number, startAt: number): DomainEvent[] {
  const out: DomainEvent[] = [];
  let seq = 0;
  const at = () => startAt + seq++;
  for (let i = 0; i < conversations; i++) {
    const conversation = conversationOf(i);
    const attributes: Record<string, string | boolean> =
      conversation.type === 1
        ? { name: `peer ${i}`, archived: i % 5 === 0 }
        : { name: `team ${i}`, kind: i % 2 === 0 ? 'project' : 'chat', pinned: i % 3 !== 0 };
    out.push({
      id: `${account}-u${i}`,
      type: 'conversation.upserted',
      account,
      at: at(),
      conversation,
      attributes,
    } as DomainEvent);
    if (i % 5 === 1) {
      out.push({
        id: `${account}-t${i}`,
        type: 'conversation.tagged',
        account,
        at: at(),
        conversation,
        tag: 'customer',
      } as DomainEvent);
    }
  }
  return out;
}

/** Folds the events of `accounts` accounts named `${prefix}${i}`; returns the number of events. */
export async function seedAccounts(
  redis: RedisClient,
  keys: Keys,
  opts: {
    accounts: number;
    conversations: number;
    accountPrefix: string;
    onProgress?: (done: number) => void;
    /** each account's events as they are folded: the simulator learns their conversations */
    onEvents?: (events: readonly DomainEvent[]) => void;
  },
): Promise<number> {
  const BATCH = 2_000;
  const IN_FLIGHT = 6;
  let events = 0;
  let next = 0;
  let pending: DomainEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const flush = async (batch: DomainEvent[]) => {
    const p = foldEvents(redis, keys, batch, SEED_FOLD).then(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  };
  while (next < opts.accounts) {
    const batch = accountEvents(`${opts.accountPrefix}${next}`, opts.conversations, 1_763_700_000_000);
    next++;
    opts.onEvents?.(batch);
    events += batch.length;
    pending.push(...batch);
    if (pending.length >= BATCH) {
      await flush(pending);
      pending = [];
      opts.onProgress?.(next);
    }
  }
  if (pending.length) await flush(pending);
  await Promise.all(inFlight);
  return events;
}
