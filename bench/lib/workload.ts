/**
 * A seeded, realistic event workload: Zipf-skewed account activity, per-account bursts, a
 * fraction of events arriving out of order (an older `at` after newer ones) and a fraction
 * resent (same id, same content). Every event is valid under the public contract.
 */
import { between, pick, rng, Zipf } from './prng.js';

export type ConvType = 1 | 2 | 3;
export interface ConvRef {
  type: ConvType;
  target: string;
}

/** A contract event as published (NDJSON shape). */
export type BenchEvent = {
  id: string;
  type: string;
  account: string;
  at: number;
} & Record<string, unknown>;

export interface WorkloadOptions {
  seed: number;
  accounts: number;
  /** unique events (duplicates come on top) */
  events: number;
  /** Zipf exponent of account activity (1 = classic Zipf) */
  zipf?: number;
  /** probability that a Zipf draw is a burst of 5–40 events for one account (else one event) */
  burstProbability?: number;
  /** fraction of events delivered late: after up to `lateBy` newer events */
  outOfOrder?: number;
  lateBy?: number;
  /** fraction of events sent a second time, a little later */
  duplicates?: number;
  /** account name prefix */
  accountPrefix?: string;
  /** the `at` of the first event */
  startAt?: number;
}

export interface Workload {
  /** in arrival order, duplicates included */
  events: BenchEvent[];
  accounts: string[];
  stats: {
    accounts: number;
    activeAccounts: number;
    uniqueEvents: number;
    deliveredEvents: number;
    duplicates: number;
    outOfOrder: number;
    bursts: number;
    eventsInBursts: number;
    topAccountShare: number;
    top1PercentShare: number;
    byType: Record<string, number>;
  };
}

const TAGS = ['customer', 'customer', 'vip', 'internal'];
const VIP_NAMES = ['VIP', 'Key accounts', 'VIPs'];

/** The conversations of one account: p2p 40 %, advanced teams 50 %, super teams 10 %. */
export function conversationOf(i: number): ConvRef {
  const m = i % 10;
  if (m < 4) return { type: 1, target: `u${i}` };
  if (m < 9) return { type: 2, target: `t${i}` };
  return { type: 3, target: `s${i}` };
}

export function generateWorkload(opts: WorkloadOptions): Workload {
  const random = rng(opts.seed);
  const zipf = new Zipf(opts.accounts, opts.zipf ?? 1);
  const prefix = opts.accountPrefix ?? 'acct';
  const accounts = Array.from({ length: opts.accounts }, (_, r) => `${prefix}${r}`);
  // conversations per account grow with its expected activity (a busy user has more chats)
  const convCount = accounts.map((_, r) =>
    Math.max(5, Math.min(400, Math.round((zipf.weight(r) * opts.events) / 5))),
  );
  const startAt = opts.startAt ?? 1_763_700_000_000;
  const burstP = opts.burstProbability ?? 0.15;

  const ordered: BenchEvent[] = [];
  const byType: Record<string, number> = {};
  let bursts = 0;
  let eventsInBursts = 0;
  const active = new Set<number>();
  const perAccount = new Map<number, number>();

  const make = (rank: number): BenchEvent => {
    const seq = ordered.length;
    const account = accounts[rank]!;
    const base = { id: `e${seq}`, account, at: startAt + seq * 3 };
    const conv = conversationOf(Math.floor(random() * convCount[rank]!));
    const conversation = { type: conv.type, target: conv.target };
    const u = random();
    let e: BenchEvent;
    if (u < 0.14) e = { ...base, type: 'conversation.pinned', conversation };
    else if (u < 0.22) e = { ...base, type: 'conversation.unpinned', conversation };
    else if (u < 0.34) e = { ...base, type: 'conversation.tagged', conversation, tag: pick(random, TAGS) };
    else if (u < 0.41) e = { ...base, type: 'conversation.untagged', conversation, tag: pick(random, TAGS) };
    else if (u < 0.48) e = { ...base, type: 'conversation.archived', conversation };
    else if (u < 0.52) e = { ...base, type: 'conversation.unarchived', conversation };
    else if (u < 0.58) e = { ...base, type: 'conversation.muted', conversation };
    else if (u < 0.62) e = { ...base, type: 'conversation.unmuted', conversation };
    else if (u < 0.66) e = { ...base, type: 'conversation.removed', conversation };
    else if (u < 0.695) {
      const which = between(random, 1, 3);
      const folder =
        which === 1
          ? { id: 'f1', name: pick(random, VIP_NAMES), rule: { attr: 'tags', has: 'vip' } }
          : which === 2
            ? { id: 'f2', name: 'Muted', rule: { attr: 'muted', eq: true } }
            : {
                id: 'f3',
                name: 'Favourites',
                include: Array.from({ length: between(random, 1, 4) }, () =>
                  conversationOf(Math.floor(random() * convCount[rank]!)),
                ).filter((c, i, all) => all.findIndex((d) => d.target === c.target) === i),
              };
      e = { ...base, type: 'folder.upserted', folder };
    } else if (u < 0.705) e = { ...base, type: 'folder.deleted', folderId: `f${between(random, 1, 3)}` };
    else {
      // an upsert: the kind decides Projects (with pinned), p2p chats are direct messages
      const kind =
        conv.type === 1
          ? 'dm'
          : random() < 0.1
            ? null
            : pick(random, ['project', 'project', 'chat', 'support']);
      e = { ...base, type: 'conversation.upserted', conversation, attributes: { kind, name: `c${seq}` } };
    }
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    active.add(rank);
    perAccount.set(rank, (perAccount.get(rank) ?? 0) + 1);
    return e;
  };

  // Who acts, in draws of one event or a burst: every account once (a short burst: it signs up,
  // its first chats arrive), the rest Zipf-distributed; then the draws are shuffled.
  const draws: Array<{ rank: number; size: number; burst: boolean }> = [];
  let planned = 0;
  for (let r = 0; r < opts.accounts && planned < opts.events; r++) {
    const size = Math.min(between(random, 2, 6), opts.events - planned);
    draws.push({ rank: r, size, burst: true });
    planned += size;
  }
  while (planned < opts.events) {
    const burst = random() < burstP;
    const size = Math.min(burst ? between(random, 5, 40) : 1, opts.events - planned);
    draws.push({ rank: zipf.sample(random), size, burst });
    planned += size;
  }
  for (let i = draws.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [draws[i], draws[j]] = [draws[j]!, draws[i]!];
  }
  for (const d of draws) {
    if (d.burst) {
      bursts++;
      eventsInBursts += d.size;
    }
    for (let i = 0; i < d.size; i++) ordered.push(make(d.rank));
  }

  // Arrival order: some events late (older `at` after newer events), some sent twice.
  const lateBy = opts.lateBy ?? 2_000;
  const arrivals: Array<{ key: number; event: BenchEvent }> = [];
  let outOfOrder = 0;
  let duplicates = 0;
  ordered.forEach((event, i) => {
    const late = random() < (opts.outOfOrder ?? 0.05);
    if (late) outOfOrder++;
    arrivals.push({ key: late ? i + between(random, 1, lateBy) + 0.5 : i, event });
    if (random() < (opts.duplicates ?? 0.03)) {
      duplicates++;
      arrivals.push({ key: i + between(random, 1, lateBy * 2) + 0.25, event: { ...event } });
    }
  });
  arrivals.sort((a, b) => a.key - b.key);

  const counts = [...perAccount.values()].sort((a, b) => b - a);
  const top1 = counts.slice(0, Math.max(1, Math.round(opts.accounts / 100))).reduce((a, b) => a + b, 0);
  return {
    events: arrivals.map((a) => a.event),
    accounts,
    stats: {
      accounts: opts.accounts,
      activeAccounts: active.size,
      uniqueEvents: ordered.length,
      deliveredEvents: arrivals.length,
      duplicates,
      outOfOrder,
      bursts,
      eventsInBursts,
      topAccountShare: (counts[0] ?? 0) / ordered.length,
      top1PercentShare: top1 / ordered.length,
      byType,
    },
  };
}
