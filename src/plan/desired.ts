/**
 * From an account's loaded state and the app's rules to the planner's input. Pure: the clock
 * arrives as `now`, the provider only as its name-shortening function and limits.
 */
import type { AccountFacts, StoredUserFolder } from '../facts/views.js';
import { canonicalJson, contentHash } from '../rules/canonical-json.js';
import {
  appFolderDef,
  type ConversationKey,
  type ConversationView,
  conversationKey,
  desiredMembershipSteps,
  userFolderDef,
} from '../rules/evaluate.js';
import type { FolderKey } from '../rules/folder-key.js';
import type { AppFolder } from '../rules/schema.js';
import { drain, type Steps } from '../steps.js';
import { type FolderSpec, type Ledger, type PlanInput, type ProviderLimits, pairKey } from './types.js';

export interface AccountSnapshot {
  facts: AccountFacts;
  userFolders: readonly StoredUserFolder[];
  ledger: Ledger;
  rejections: ReadonlyMap<string, { fp: string }>;
  retries: ReadonlyMap<string, { notBefore: number }>;
}

export interface DesiredState {
  input: PlanInput;
  /** fingerprint of a (folder, conversation) pair: a rejection stays valid while it is unchanged */
  fingerprint: (folder: FolderKey, conversation: ConversationKey) => string;
  /** rejections whose conversation or folder changed since: to forget */
  staleRejections: string[];
  /** earliest retry time of an item still waiting, if any */
  nextRetryAt: number | undefined;
}

type NamingProvider = { limits: ProviderLimits; groupName(name: string, suffix?: string): string };

/** desiredStateSteps run at once. */
export const desiredState = (
  snapshot: AccountSnapshot,
  appFolders: readonly AppFolder[],
  provider: NamingProvider,
  now: number,
): DesiredState => drain(desiredStateSteps(snapshot, appFolders, provider, now));

export function* desiredStateSteps(
  snapshot: AccountSnapshot,
  appFolders: readonly AppFolder[],
  provider: NamingProvider,
  now: number,
): Steps<DesiredState> {
  const defs = [
    ...appFolders.map((f) => ({
      def: appFolderDef(f),
      source: f as unknown,
      name: f.name,
      user: false,
      deleteWhenEmpty: f.deleteWhenEmpty,
    })),
    ...snapshot.userFolders.map(({ folder }) => ({
      def: userFolderDef(folder),
      source: folder as unknown,
      name: folder.name,
      user: true,
      deleteWhenEmpty: false,
    })),
  ];
  const membership = yield* desiredMembershipSteps(
    defs.map((d) => d.def),
    snapshot.facts.views,
  );
  const known = snapshot.facts.recency;
  const names = groupNames(
    defs.map((d) => d.name),
    provider,
  );
  const emptyGroups = provider.limits.createsEmptyGroups !== false;
  const folders: FolderSpec[] = defs.map((d, i) => ({
    key: d.def.key,
    groupName: names[i]!,
    members: withListedOnly(membership.get(d.def.key) ?? [], d.def.include, known, snapshot.facts.removed),
    // where a group cannot be created empty, a user folder gets its group with its first member
    createEagerly: d.user && emptyGroups,
    deleteWhenEmpty: d.deleteWhenEmpty,
  }));

  yield;
  const folderFp = new Map(defs.map((d) => [d.def.key, contentHash(d.source)]));
  // built on first use: only rejections and failed items need it, and it costs 100k entries
  let views: Map<ConversationKey, ConversationView> | undefined;
  const fingerprint = (folder: FolderKey, conv: ConversationKey) => {
    views ??= new Map(snapshot.facts.views.map((v) => [conversationKey(v), v]));
    return contentHash(`${folderFp.get(folder) ?? 'gone'} ${canonicalJson(views.get(conv) ?? null)}`);
  };

  const blocked = new Set<string>();
  const staleRejections: string[] = [];
  for (const [pair, rejection] of snapshot.rejections) {
    const [folder, conv] = splitPair(pair);
    if (rejection.fp === fingerprint(folder, conv)) blocked.add(pair);
    else staleRejections.push(pair);
  }
  let nextRetryAt: number | undefined;
  for (const [pair, retry] of snapshot.retries) {
    if (retry.notBefore > now) {
      blocked.add(pair);
      nextRetryAt = Math.min(nextRetryAt ?? Number.POSITIVE_INFINITY, retry.notBefore);
    }
  }

  return {
    input: {
      folders,
      recency: snapshot.facts.recency,
      ledger: snapshot.ledger,
      blocked,
      limits: provider.limits,
    },
    fingerprint,
    staleRejections,
    nextRetryAt,
  };
}

/**
 * Each folder's group name, in priority order. Where names must be unique (a provider that
 * addresses groups by name), a name already taken by an earlier folder gets " (2)", " (3)"…:
 * deterministic, and stable as long as the folders before it keep their names.
 */
function groupNames(
  folderNames: readonly string[],
  provider: { limits: ProviderLimits; groupName(name: string, suffix?: string): string },
): string[] {
  if (!provider.limits.uniqueGroupNames) return folderNames.map((n) => provider.groupName(n));
  const taken = new Set<string>();
  return folderNames.map((folderName) => {
    let name = provider.groupName(folderName);
    for (let n = 2; taken.has(name); n++) name = provider.groupName(folderName, ` (${n})`);
    taken.add(name);
    return name;
  });
}

/**
 * A conversation a user listed in `include` is a member even before the app sent any fact
 * about it (only of the folders that list it), unless its newest event removed it.
 */
function withListedOnly(
  members: readonly ConversationKey[],
  include: readonly { type: 1 | 2 | 3; target: string }[] | undefined,
  known: ReadonlyMap<ConversationKey, number>,
  removed: ReadonlySet<ConversationKey>,
): readonly ConversationKey[] {
  const extra = (include ?? []).map(conversationKey).filter((k) => !known.has(k) && !removed.has(k));
  if (extra.length === 0) return members;
  return [...new Set([...members, ...extra])].sort();
}

export function splitPair(pair: string): [FolderKey, ConversationKey] {
  const sep = pair.indexOf('|');
  return [pair.slice(0, sep) as FolderKey, pair.slice(sep + 1) as ConversationKey];
}

export { pairKey };
