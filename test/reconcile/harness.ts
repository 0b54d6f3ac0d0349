import type { DomainEvent } from '../../src/events/schema.js';
import { validateEvent } from '../../src/events/validate.js';
import { eventWrites } from '../../src/facts/encode.js';
import { tiebreakOf } from '../../src/facts/registers.js';
import type { EngineObserver } from '../../src/reconcile/observer.js';
import { type ReconcileDeps, reconcileAccount } from '../../src/reconcile/reconcile.js';
import type { AppFolder } from '../../src/rules/schema.js';
import { FakeProvider, type FakeProviderOptions } from '../support/fake-provider.js';
import { capturedLogger } from '../support/log-capture.js';
import { MemoryStore } from '../support/memory-store.js';

export const ACCOUNT = 'alice';
export const RULES: AppFolder[] = [
  { id: 'customers', name: 'Customers', rule: { attr: 'tags', has: 'customer' }, deleteWhenEmpty: false },
  { id: 'vip', name: 'VIP', rule: { attr: 'tags', has: 'vip' }, deleteWhenEmpty: true },
];

let seq = 0;
/** A valid event for ACCOUNT, folded at once by `fold`. */
export function event(input: Record<string, unknown>): DomainEvent {
  seq++;
  const result = validateEvent({ id: `e${seq}`, account: ACCOUNT, at: 1_700_000_000_000 + seq, ...input });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.event;
}
export const tagged = (target: string, tag = 'customer') =>
  event({ type: 'conversation.tagged', conversation: { type: 2, target }, tag });
export const untagged = (target: string, tag = 'customer') =>
  event({ type: 'conversation.untagged', conversation: { type: 2, target }, tag });

/**
 * An account's reconcile against a fake provider and an in-memory store: no Redis, no HTTP.
 * The clock moves 1 ms per reading unless `advance`d; the rules are RULES until `setRules`.
 */
export function harness(
  opts: Partial<Pick<ReconcileDeps, 'createMissingConversations' | 'createAnswerWindowMs'>> = {},
  fake: FakeProviderOptions = {},
) {
  const store = new MemoryStore();
  const provider = new FakeProvider(fake);
  const { logger: log, text: logs } = capturedLogger({ level: 'info', name: 'test' });
  let folders: readonly AppFolder[] = RULES;
  const observed: Parameters<NonNullable<EngineObserver['driftFound']>>[0][] = [];
  const repaired: typeof observed = [];
  const fleet = { epoch: 'epoch-1' };
  const charged: number[] = [];
  const observer: EngineObserver = {
    driftFound: (d) => observed.push(d),
    driftRepaired: (d) => repaired.push(d),
  };
  let clock = 1_700_000_100_000;
  const deps: ReconcileDeps = {
    store,
    provider,
    gate: { succeeded: async () => {}, rateLimited: async () => 1 },
    rules: async () => ({ folders, generation: undefined }),
    epoch: async () => fleet.epoch,
    now: () => clock++,
    random: () => 0.5,
    retry: { baseMs: 10, maxMs: 100 },
    log,
    leaseMs: 60_000,
    observer,
    chargeVerification: async (requests) => {
      charged.push(requests);
    },
    ...opts,
  };
  return {
    store,
    provider,
    fleet,
    drift: observed,
    repaired,
    /** requests charged to verification's budget, per read-back that served a verification */
    charged,
    /** the reconciles' log lines (info and above) */
    logs,
    /** the retry settings the reconciles run with */
    retry: deps.retry,
    setRules(next: readonly AppFolder[]) {
      folders = next;
    },
    /** folds events into the facts (in order: each is newer than the last) */
    fold(...events: DomainEvent[]) {
      for (const e of events) {
        for (const w of eventWrites(e)) {
          const hash = w.hash === 'facts' ? store.hashes.facts : store.hashes.folders;
          hash.set(w.field, `${e.at}|${tiebreakOf(e.id)}|${w.payload}`);
        }
      }
    },
    reconcile: (signal?: AbortSignal) => reconcileAccount(ACCOUNT, deps, signal),
    /** moves the clock the reconcile reads */
    advance(ms: number) {
      clock += ms;
    },
    /** the provider's groups as {name: sorted members} */
    groups: () => Object.fromEntries(provider.groups.map((g) => [g.name, [...g.members].sort()])),
  };
}
