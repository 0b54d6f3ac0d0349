/**
 * Seeded workloads for the reliability scenarios: many accounts, each with conversations in
 * every folder of examples/rules.json and some in none, user folders that are created, renamed,
 * re-ruled and deleted, a few big accounts whose folders need batches of 100 ids, and
 * account.resync requests. Bursts arrive shuffled; some events arrive a burst late (older `at`
 * than what was already published), some twice.
 */
import type { Event } from './model.js';

export interface WorkloadOptions {
  /** prefix of account names and event ids */
  label: string;
  accounts: number;
  /** accounts with 150..300 customer channels */
  bigAccounts?: number;
  /** bursts of mutations after the initial one */
  bursts: number;
  /** conversations per ordinary account */
  conversations?: number;
  /** mutations per account per burst */
  mutations?: number;
  userFolders?: boolean;
  /** share of a burst's events that arrive with the next burst instead */
  lateRate?: number;
  /** share of events published a second time (same id, same content) */
  duplicateRate?: number;
  random: () => number;
}

export interface Workload {
  accounts: string[];
  /** bursts[0] is the initial state; every burst is shuffled */
  bursts: Event[][];
}

type Ref = { type: 1 | 2 | 3; target: string };

const USER_FOLDERS = [
  { id: 'focus', names: ['Focus', 'Deep focus'] },
  { id: 'later', names: ['Later', 'Read later'] },
];
const USER_RULES: Array<Record<string, unknown> | undefined> = [
  { attr: 'kind', in: ['ops', 'chat'] },
  { any: [{ attr: 'tags', has: 'vip' }, { type: [3] }] },
  { all: [{ attr: 'muted', eq: true }, { not: { attr: 'archived', eq: true } }] },
  { attr: 'score', exists: true },
  { not: { attr: 'kind', in: ['project'] } },
  undefined,
];
const KINDS = ['project', 'chat', 'ops'];

export function makeWorkload(opts: WorkloadOptions): Workload {
  const rand = opts.random;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const chance = (p: number) => rand() < p;
  let n = 0;
  const ev = (type: string, account: string, extra: Record<string, unknown> = {}): Event => {
    n++;
    return { id: `${opts.label}-${n}`, type, account, at: 1_763_700_000_000 + n, ...extra };
  };
  const conversation = (ref: Ref) => ({ conversation: { ...ref } });

  const ordinary = Array.from(
    { length: opts.accounts },
    (_, i) => `${opts.label}-a${String(i).padStart(3, '0')}`,
  );
  const big = Array.from({ length: opts.bigAccounts ?? 0 }, (_, i) => `${opts.label}-big${i}`);
  const pools = new Map<string, Ref[]>();
  for (const a of ordinary) {
    pools.set(
      a,
      Array.from({ length: opts.conversations ?? 24 }, (_, i) => {
        const r = rand();
        return { type: r < 0.35 ? 1 : r < 0.85 ? 2 : 3, target: `c${i}` } as Ref;
      }),
    );
  }
  for (const a of big) {
    const size = 150 + Math.floor(rand() * 151);
    pools.set(
      a,
      Array.from({ length: size }, (_, i) => ({ type: 2, target: `b${i}` }) as Ref),
    );
  }

  const initialOrdinary = (a: string): Event[] =>
    pools.get(a)!.flatMap((ref) => {
      const c = conversation(ref);
      return [
        ev('conversation.upserted', a, {
          ...c,
          attributes: { kind: pick(KINDS), ...(chance(0.3) ? { score: Math.floor(rand() * 10) } : {}) },
        }),
        ...(chance(0.6) ? [ev('conversation.pinned', a, c)] : []),
        ...(chance(0.4) ? [ev('conversation.tagged', a, { ...c, tag: 'customer' })] : []),
        ...(chance(0.2) ? [ev('conversation.tagged', a, { ...c, tag: 'vip' })] : []),
        ...(chance(0.25) ? [ev('conversation.archived', a, c)] : []),
        ...(chance(0.2) ? [ev('conversation.muted', a, c)] : []),
      ];
    });
  const initialBig = (a: string): Event[] =>
    pools.get(a)!.flatMap((ref) => [
      ev('conversation.tagged', a, { ...conversation(ref), tag: 'customer' }),
      ...(chance(0.5)
        ? [
            ev('conversation.upserted', a, {
              ...conversation(ref),
              attributes: { kind: 'project', pinned: true },
            }),
          ]
        : []),
    ]);

  const userFolder = (a: string): Event => {
    const f = pick(USER_FOLDERS);
    const pool = pools.get(a)!;
    const refs = (max: number) =>
      Array.from({ length: Math.floor(rand() * (max + 1)) }, () =>
        // now and then a conversation the app never mentioned: a member all the same
        chance(0.15) ? { type: 2, target: `listed-${Math.floor(rand() * 3)}` } : { ...pick(pool) },
      );
    const include = refs(3);
    const exclude = refs(2);
    const rule = pick(USER_RULES);
    return ev('folder.upserted', a, {
      folder: {
        id: f.id,
        name: pick(f.names),
        ...(rule ? { rule } : {}),
        ...(include.length ? { include } : {}),
        ...(exclude.length ? { exclude } : {}),
      },
    });
  };

  const mutation = (a: string): Event => {
    const c = conversation(pick(pools.get(a)!));
    if (opts.userFolders !== false && chance(0.08)) {
      return chance(0.25) ? ev('folder.deleted', a, { folderId: pick(USER_FOLDERS).id }) : userFolder(a);
    }
    if (chance(0.01)) return ev('account.resync', a);
    switch (Math.floor(rand() * 12)) {
      case 0:
        return ev('conversation.pinned', a, c);
      case 1:
        return ev('conversation.unpinned', a, c);
      case 2:
        return ev('conversation.tagged', a, { ...c, tag: 'customer' });
      case 3:
        return ev('conversation.untagged', a, { ...c, tag: 'customer' });
      case 4:
        return ev('conversation.archived', a, c);
      case 5:
        return ev('conversation.unarchived', a, c);
      case 6:
        return ev('conversation.removed', a, c);
      case 7:
        return ev('conversation.upserted', a, {
          ...c,
          attributes: { kind: pick(KINDS), pinned: chance(0.5) },
        });
      case 8:
        return ev('conversation.upserted', a, {
          ...c,
          attributes: { pinned: null, score: chance(0.5) ? 1 : null },
        });
      case 9:
        return ev('conversation.tagged', a, { ...c, tag: 'vip' });
      case 10:
        return ev('conversation.unmuted', a, c);
      default:
        return ev('conversation.muted', a, c);
    }
  };
  const bigMutation = (a: string): Event => {
    const c = conversation(pick(pools.get(a)!));
    const r = rand();
    if (r < 0.4) return ev('conversation.untagged', a, { ...c, tag: 'customer' });
    if (r < 0.6) return ev('conversation.removed', a, c);
    if (r < 0.8) return ev('conversation.pinned', a, c);
    return ev('conversation.tagged', a, { ...c, tag: 'customer' });
  };

  const bursts: Event[][] = [
    [...ordinary.flatMap(initialOrdinary), ...big.flatMap(initialBig)],
    ...Array.from({ length: opts.bursts }, () => [
      ...ordinary.flatMap((a) => Array.from({ length: opts.mutations ?? 12 }, () => mutation(a))),
      ...big.flatMap((a) => Array.from({ length: 30 }, () => bigMutation(a))),
    ]),
  ];
  // a user folder for most accounts from the start
  if (opts.userFolders !== false) for (const a of ordinary) if (chance(0.7)) bursts[0]!.push(userFolder(a));

  // late: a share of each burst arrives with the next one (older `at` than what is there)
  const lateRate = opts.lateRate ?? 0.1;
  for (let k = bursts.length - 2; k >= 0; k--) {
    const stay: Event[] = [];
    for (const e of bursts[k]!) (chance(lateRate) ? bursts[k + 1]! : stay).push(e);
    bursts[k] = stay;
  }
  // twice: a share of everything so far is published again with a later burst
  const duplicateRate = opts.duplicateRate ?? 0.03;
  const sent: Event[] = [];
  for (const burst of bursts) {
    const again = sent.filter(() => chance(duplicateRate));
    sent.push(...burst);
    burst.push(...again);
  }
  for (const burst of bursts) shuffle(burst, rand);
  return { accounts: [...ordinary, ...big], bursts };
}

export function shuffle<T>(list: T[], rand: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}
