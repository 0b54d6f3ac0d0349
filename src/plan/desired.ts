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
  compileMembership,
  conversationKey,
  desiredMembershipSteps,
  type FolderDef,
  userFolderDef,
} from '../rules/evaluate.js';
import type { FolderKey } from '../rules/folder-key.js';
import type { AppFolder } from '../rules/schema.js';
import { drain, type Steps } from '../steps.js';
import { type EvaluationSummary, keptMembers } from './incremental.js';
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
  /**
   * From a kept evaluation: per folder, candidates cut before the planner (beyond the group
   * cap). Those of folders the plan keeps a group for are overflow the plan does not list.
   */
  cutBy?: ReadonlyMap<FolderKey, number>;
}

type NamingProvider = { limits: ProviderLimits; groupName(name: string, suffix?: string): string };

/** desiredStateSteps run at once. */
export const desiredState = (
  snapshot: AccountSnapshot,
  appFolders: readonly AppFolder[],
  provider: NamingProvider,
  now: number,
): DesiredState => drain(desiredStateSteps(snapshot, appFolders, provider, now));

/** A folder as the rules and the user define it, in priority order. */
export interface Definition {
  def: FolderDef;
  /** the folder as defined (its fingerprint invalidates rejections when it changes) */
  source: unknown;
  name: string;
  user: boolean;
  deleteWhenEmpty: boolean;
}

/** App folders in the rules' order, then user folders by creation. */
export function definitions(
  appFolders: readonly AppFolder[],
  userFolders: readonly StoredUserFolder[],
): Definition[] {
  return [
    ...appFolders.map((f) => ({
      def: appFolderDef(f),
      source: f as unknown,
      name: f.name,
      user: false,
      deleteWhenEmpty: f.deleteWhenEmpty,
    })),
    ...userFolders.map(({ folder }) => ({
      def: userFolderDef(folder),
      source: folder as unknown,
      name: folder.name,
      user: true,
      deleteWhenEmpty: false,
    })),
  ];
}

/**
 * What an evaluation's membership depends on besides facts: every folder as defined, in order,
 * and the limits that shape its windows. An evaluation kept under another key is rebuilt.
 */
export const definitionsKey = (defs: readonly Definition[], limits: ProviderLimits): string =>
  contentHash({
    folders: defs.map((d) => [d.def.key, d.source, d.user]),
    limits: [
      limits.conversationsPerGroup,
      limits.groupsPerConversation,
      limits.conversationsPerAccount ?? null,
    ],
  });

/** Which folders (by index) take one conversation: the rules on its view, or being listed. */
export function candidateFolders(
  defs: readonly Definition[],
): (c: ConversationKey, view: ConversationView | undefined, removed: boolean) => number[] {
  const compiled = defs.map((d) => compileMembership(d.def));
  const listed = defs.map((d) => new Set((d.def.include ?? []).map(conversationKey)));
  return (c, view, removed) => {
    const out: number[] = [];
    for (let i = 0; i < defs.length; i++) {
      // a listed conversation is a member before any fact about it, unless its newest event removed it
      if (view ? compiled[i]!(view, c) : !removed && listed[i]!.has(c)) out.push(i);
    }
    return out;
  };
}

export function* desiredStateSteps(
  snapshot: AccountSnapshot,
  appFolders: readonly AppFolder[],
  provider: NamingProvider,
  now: number,
): Steps<DesiredState> {
  const defs = definitions(appFolders, snapshot.userFolders);
  const membership = yield* desiredMembershipSteps(
    defs.map((d) => d.def),
    snapshot.facts.views,
  );
  const known = snapshot.facts.recency;
  yield;
  // built on first use: only rejections and failed items need it, and it costs 100k entries
  let views: Map<ConversationKey, ConversationView> | undefined;
  const viewOf = (conv: ConversationKey) => {
    views ??= new Map(snapshot.facts.views.map((v) => [conversationKey(v), v]));
    return views.get(conv);
  };
  return finish(
    defs,
    (d) => withListedOnly(membership.get(d.def.key) ?? [], d.def.include, known, snapshot.facts.removed),
    known,
    { snapshot, provider, now, viewOf, recheck: () => true },
  );
}

/** What a desired state is made from besides the folders' members. */
interface Finishing {
  snapshot: Pick<AccountSnapshot, 'ledger' | 'rejections' | 'retries'>;
  provider: NamingProvider;
  now: number;
  /** the conversation's view now (undefined: no facts, or removed) */
  viewOf: (conv: ConversationKey) => ConversationView | undefined;
  /** whether a rejection of this conversation must be checked against its fingerprint again */
  recheck: (conv: ConversationKey) => boolean;
}

function finish(
  defs: readonly Definition[],
  membersOf: (d: Definition, index: number) => readonly ConversationKey[],
  recency: ReadonlyMap<ConversationKey, number>,
  { snapshot, provider, now, viewOf, recheck }: Finishing,
): DesiredState {
  const names = groupNames(
    defs.map((d) => d.name),
    provider,
  );
  const emptyGroups = provider.limits.createsEmptyGroups !== false;
  const folders: FolderSpec[] = defs.map((d, i) => ({
    key: d.def.key,
    groupName: names[i]!,
    members: membersOf(d, i),
    // where a group cannot be created empty, a user folder gets its group with its first member
    createEagerly: d.user && emptyGroups,
    deleteWhenEmpty: d.deleteWhenEmpty,
  }));

  const folderFp = new Map(defs.map((d) => [d.def.key, contentHash(d.source)]));
  const fingerprint = (folder: FolderKey, conv: ConversationKey) =>
    contentHash(`${folderFp.get(folder) ?? 'gone'} ${canonicalJson(viewOf(conv) ?? null)}`);

  const blocked = new Set<string>();
  const staleRejections: string[] = [];
  for (const [pair, rejection] of snapshot.rejections) {
    const [folder, conv] = splitPair(pair);
    // a rejection of a conversation not rechecked was checked when its facts last changed
    if (!recheck(conv) || rejection.fp === fingerprint(folder, conv)) blocked.add(pair);
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
    input: { folders, recency, ledger: snapshot.ledger, blocked, limits: provider.limits },
    fingerprint,
    staleRejections,
    nextRetryAt,
  };
}

/**
 * The desired state from a kept evaluation (src/plan/incremental.ts) instead of every
 * conversation: each folder gets the first `cap` of its window, all the limits would let it
 * keep. `viewOf` must know the changed conversations and any the plan's calls name (for the
 * fingerprints of refused items); `changed` are the conversations whose facts changed.
 */
export function desiredFromSummary(
  summary: EvaluationSummary,
  snapshot: Pick<AccountSnapshot, 'ledger' | 'rejections' | 'retries' | 'userFolders'>,
  appFolders: readonly AppFolder[],
  provider: NamingProvider,
  now: number,
  viewOf: (conv: ConversationKey) => ConversationView | undefined,
  changed: ReadonlySet<ConversationKey>,
): DesiredState {
  const defs = definitions(appFolders, snapshot.userFolders);
  const recency = new Map<ConversationKey, number>();
  const kept = summary.windows.map((w) => {
    for (const r of w.ranked.slice(0, provider.limits.conversationsPerGroup)) recency.set(r.c, r.at);
    return keptMembers(w, provider.limits);
  });
  const state = finish(defs, (_d, i) => kept[i]?.members ?? [], recency, {
    snapshot,
    provider,
    now,
    viewOf,
    recheck: (c) => changed.has(c),
  });
  return { ...state, cutBy: new Map(defs.map((d, i) => [d.def.key, kept[i]?.dropped ?? 0])) };
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
