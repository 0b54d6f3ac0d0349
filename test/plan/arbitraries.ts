import fc from 'fast-check';
import {
  type ConversationKey,
  type FolderKey,
  type FolderSpec,
  type Ledger,
  type LedgerGroup,
  type PlanInput,
  type ProviderLimits,
  pairKey,
} from '../../src/plan/index.js';
import { convs } from './helpers.js';

/** More keys than folders (at most 8), so ledgers also hold folders the rules no longer list. */
export const FOLDER_KEYS: FolderKey[] = ['app:a', 'app:b', 'app:c', 'app:d', 'app:e', 'app:f'].flatMap(
  (k) => [k as FolderKey, k.replace('app:', 'user:') as FolderKey],
);
const NAMES = ['A', 'B'];

export interface ScenarioOptions {
  /** ledger groups may be pending (with or without an id) */
  pending: boolean;
  /** some folder/conversation pairs are blocked */
  blocked: boolean;
  /** undefined: either */
  mixed?: boolean;
}

const limitsArb = (mixed: boolean | undefined): fc.Arbitrary<ProviderLimits> =>
  fc.record({
    idsPerCall: fc.integer({ min: 1, max: 10 }),
    groupsPerConversation: fc.integer({ min: 1, max: 5 }),
    groupsPerAccount: fc.integer({ min: 0, max: 10 }),
    conversationsPerGroup: fc.integer({ min: 1, max: 50 }),
    mixedMembershipUpdate: mixed === undefined ? fc.boolean() : fc.constant(mixed),
    conversationsPerAccount: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  });

/**
 * Drops memberships past groupsPerConversation and conversationsPerAccount (groups in key
 * order), as a provider would never hold them.
 */
function withinLimits(ledger: Ledger, limits: ProviderLimits): Ledger {
  const count = new Map<ConversationKey, number>();
  const members = new Map<FolderKey, Set<ConversationKey>>();
  const accountCap = limits.conversationsPerAccount ?? Number.POSITIVE_INFINITY;
  for (const [folder, set] of ledger.members) {
    const kept = new Set<ConversationKey>();
    for (const c of set) {
      const n = count.get(c) ?? 0;
      if (n === 0 && count.size >= accountCap) continue;
      if (n < limits.groupsPerConversation) {
        count.set(c, n + 1);
        kept.add(c);
      }
    }
    members.set(folder, kept);
  }
  return { ...ledger, members };
}

/**
 * Random plan inputs: 0–8 folders over a pool of 0–300 conversations (often a small pool, so
 * folders share members and the per-conversation limit bites), ledgers with groups present,
 * absent or pending, small limits. The ledger always respects the per-conversation and
 * per-account limits.
 */
export function scenario(opts: ScenarioOptions): fc.Arbitrary<PlanInput> {
  const poolSize = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 300 }));
  return poolSize.chain((size) => {
    const pool = convs(0, size);
    const members = fc.subarray(pool).chain((m) => fc.shuffledSubarray(m, { minLength: m.length }));
    const spec = fc.record({
      members,
      groupName: fc.constantFrom(...NAMES),
      createEagerly: fc.boolean(),
      deleteWhenEmpty: fc.boolean(),
    });
    const folders = fc
      .shuffledSubarray(FOLDER_KEYS, { maxLength: 8 })
      .chain((keys) => fc.tuple(...keys.map((key) => spec.map((s): FolderSpec => ({ key, ...s })))));
    const states = fc.oneof(
      { arbitrary: fc.constantFrom('absent', 'confirmed'), weight: 6 },
      { arbitrary: fc.constantFrom('pending', 'pending-with-id'), weight: opts.pending ? 1 : 0 },
    );
    const group = fc.record({ state: states, name: fc.constantFrom(...NAMES), members: fc.subarray(pool) });
    const ledgerGroups = fc.array(group, { minLength: FOLDER_KEYS.length, maxLength: FOLDER_KEYS.length });
    const blocked = opts.blocked
      ? fc.array(
          fc.tuple(fc.constantFrom(...FOLDER_KEYS), fc.integer({ min: 0, max: Math.max(0, size - 1) })),
          {
            maxLength: 30,
          },
        )
      : fc.constant<[FolderKey, number][]>([]);
    const recency = fc.array(
      fc.tuple(fc.integer({ min: 0, max: Math.max(0, size - 1) }), fc.integer({ min: -2, max: 5 })),
      {
        maxLength: size,
      },
    );
    return fc
      .record({
        folders,
        ledgerGroups,
        blocked,
        recency,
        limits: limitsArb(opts.mixed),
        foreignGroups: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ folders, ledgerGroups, blocked, recency, limits, foreignGroups }): PlanInput => {
        const groups = new Map<FolderKey, LedgerGroup>();
        const ledgerMembers = new Map<FolderKey, Set<ConversationKey>>();
        ledgerGroups.forEach((g, i) => {
          const key = FOLDER_KEYS[i]!;
          if (g.state === 'absent') return;
          const group: LedgerGroup = { name: g.name, pending: g.state.startsWith('pending') };
          if (g.state !== 'pending') group.groupId = `g-${key}`;
          groups.set(key, group);
          ledgerMembers.set(key, new Set(g.members));
        });
        const ledger = withinLimits({ groups, members: ledgerMembers, foreignGroups }, limits);
        return {
          folders,
          ledger,
          recency: new Map(size === 0 ? [] : recency.map(([i, t]) => [pool[i]!, t])),
          blocked: new Set(size === 0 ? [] : blocked.map(([f, i]) => pairKey(f, pool[i]!))),
          limits,
        };
      });
  });
}
