import type {
  ConversationKey,
  FolderKey,
  FolderSpec,
  Ledger,
  LedgerGroup,
  Plan,
  PlanInput,
  PlannedCall,
  ProviderLimits,
} from '../../src/plan/index.js';

export const YUNXIN: ProviderLimits = {
  idsPerCall: 100,
  groupsPerConversation: 5,
  groupsPerAccount: 50,
  conversationsPerGroup: 1000,
  mixedMembershipUpdate: false,
};

/** Zero-padded so key order equals numeric order. */
export const conv = (n: number): ConversationKey => `1|u${String(n).padStart(4, '0')}`;
export const convs = (from: number, to: number): ConversationKey[] =>
  Array.from({ length: to - from }, (_, i) => conv(from + i));

/** An app folder unless `createEagerly` is set; the group name is the key unless given. */
export const folder = (
  key: FolderKey,
  members: readonly ConversationKey[] = [],
  opts: Partial<Omit<FolderSpec, 'key' | 'members'>> = {},
): FolderSpec => ({
  key,
  groupName: opts.groupName ?? key,
  members,
  createEagerly: opts.createEagerly ?? key.startsWith('user:'),
  deleteWhenEmpty: opts.deleteWhenEmpty ?? false,
});

export interface GroupSeed {
  groupId?: string;
  name?: string;
  pending?: boolean;
  members?: readonly ConversationKey[];
}

/** A ledger from folder → group; a confirmed group gets the id `g-<folder>` unless given. */
export function ledgerOf(seeds: Partial<Record<FolderKey, GroupSeed>>, foreignGroups = 0): Ledger {
  const groups = new Map<FolderKey, LedgerGroup>();
  const members = new Map<FolderKey, Set<ConversationKey>>();
  for (const [key, seed] of Object.entries(seeds) as [FolderKey, GroupSeed][]) {
    const pending = seed.pending ?? false;
    const group: LedgerGroup = { name: seed.name ?? key, pending };
    const groupId = seed.groupId ?? (pending ? undefined : `g-${key}`);
    if (groupId !== undefined) group.groupId = groupId;
    groups.set(key, group);
    members.set(key, new Set(seed.members ?? []));
  }
  return { groups, members, foreignGroups };
}

export const emptyLedger = (): Ledger => ledgerOf({});

export function inputOf(
  folders: readonly FolderSpec[],
  ledger: Ledger = emptyLedger(),
  more: Partial<Omit<PlanInput, 'folders' | 'ledger'>> = {},
): PlanInput {
  return {
    folders,
    ledger,
    recency: more.recency ?? new Map(),
    blocked: more.blocked ?? new Set(),
    limits: more.limits ?? YUNXIN,
  };
}

/** Ids a call carries, whatever its kind. */
export const idsOf = (call: PlannedCall): ConversationKey[] => {
  switch (call.kind) {
    case 'create':
    case 'add':
    case 'remove':
      return call.ids;
    case 'update':
      return [...call.remove, ...call.add];
    default:
      return [];
  }
};

/** Compact view of calls for example assertions: `kind folder n=<ids>`. */
export const summary = (p: Plan): string[] =>
  p.calls.map((c) => {
    const n =
      c.kind === 'update'
        ? ` -${c.remove.length}+${c.add.length}`
        : idsOf(c).length
          ? ` n=${idsOf(c).length}`
          : '';
    return `${c.kind} ${c.folder}${n}`;
  });

/** Fresh group ids for applyCalls: deterministic per folder. */
export const newId = (folder: FolderKey): string => `new-${folder}`;
