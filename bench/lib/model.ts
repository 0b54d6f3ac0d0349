/**
 * An independent model of the contract's fact semantics (README "Events"), written here from
 * the contract rather than from src/facts: per account, conversation and attribute the event
 * with the newest `at` wins; a removal hides every older fact; ids are deduplicated; a user
 * folder is created at its first upsert. From the final facts, the product's pure rules
 * evaluator and planner give the desired groups and the calls an empty ledger needs.
 */

import { FLAG_EVENTS } from '../../src/events/schema.js';
import type { StoredUserFolder } from '../../src/facts/views.js';
import { desiredState } from '../../src/plan/desired.js';
import { plan } from '../../src/plan/planner.js';
import type { ConversationKey, FolderKey } from '../../src/plan/types.js';
import { parseMarker } from '../../src/provider/marker.js';
import type { ProviderProfile } from '../../src/provider/types.js';
import type { AttrValue, ConversationView } from '../../src/rules/evaluate.js';
import type { AppFolder, UserFolder } from '../../src/rules/schema.js';
import { yunxinProfile } from '../../src/yunxin/provider.js';
import type { BenchGroup } from './engine.js';
import type { BenchEvent, ConvRef } from './workload.js';

interface Stamped<T> {
  at: number;
  id: string;
  value: T;
}

/** The workload never gives two events of one account the same `at`; the model insists. */
function newer<T>(old: Stamped<T> | undefined, at: number, id: string): boolean {
  if (!old) return true;
  if (old.at === at && old.id !== id) throw new Error(`two events share at=${at}: ${old.id}, ${id}`);
  return at > old.at;
}

const key = (c: ConvRef): ConversationKey => `${c.type}|${c.target}`;

export class AccountModel {
  readonly presence = new Map<ConversationKey, Stamped<boolean>>();
  readonly removal = new Map<ConversationKey, number>();
  readonly attrs = new Map<ConversationKey, Map<string, Stamped<AttrValue | null>>>();
  readonly tags = new Map<ConversationKey, Map<string, Stamped<boolean>>>();
  readonly folders = new Map<string, Stamped<UserFolder | null>>();
  readonly created = new Map<string, number>();

  /** Applies one (deduplicated) event. Returns the conversation it touched, if any. */
  apply(e: BenchEvent): ConversationKey | undefined {
    const { at, id } = e;
    if (e.type === 'folder.upserted' || e.type === 'folder.deleted') {
      const folder = e.type === 'folder.upserted' ? (e['folder'] as UserFolder) : null;
      const fid = folder ? folder.id : (e['folderId'] as string);
      if (newer(this.folders.get(fid), at, id)) this.folders.set(fid, { at, id, value: folder });
      if (folder) this.created.set(fid, Math.min(this.created.get(fid) ?? at, at));
      return undefined;
    }
    const c = key(e['conversation'] as ConvRef);
    const removed = e.type === 'conversation.removed';
    if (newer(this.presence.get(c), at, id)) this.presence.set(c, { at, id, value: !removed });
    if (removed) {
      this.removal.set(c, Math.max(this.removal.get(c) ?? at, at));
      return c;
    }
    const setAttr = (name: string, value: AttrValue | null) => {
      let m = this.attrs.get(c);
      if (!m) {
        m = new Map();
        this.attrs.set(c, m);
      }
      if (newer(m.get(name), at, id)) m.set(name, { at, id, value });
    };
    if (e.type === 'conversation.upserted') {
      for (const [name, value] of Object.entries(e['attributes'] as Record<string, AttrValue | null>))
        setAttr(name, value);
    } else if (e.type === 'conversation.tagged' || e.type === 'conversation.untagged') {
      let m = this.tags.get(c);
      if (!m) {
        m = new Map();
        this.tags.set(c, m);
      }
      const tag = e['tag'] as string;
      if (newer(m.get(tag), at, id)) m.set(tag, { at, id, value: e.type === 'conversation.tagged' });
    } else {
      const flag = FLAG_EVENTS[e.type];
      if (flag) setAttr(flag[0], flag[1]);
    }
    return c;
  }

  /** The conversation as the rules see it; undefined when absent or removed. */
  view(c: ConversationKey): { view: ConversationView; newest: number } | undefined {
    const p = this.presence.get(c);
    if (!p?.value) return undefined;
    const removedAt = this.removal.get(c);
    const live = (at: number) => removedAt === undefined || at > removedAt;
    const attributes: Record<string, AttrValue> = {};
    let newest = p.at;
    for (const [name, r] of this.attrs.get(c) ?? []) {
      if (!live(r.at)) continue;
      newest = Math.max(newest, r.at);
      if (r.value !== null) attributes[name] = r.value;
    }
    const tags: string[] = [];
    for (const [tag, r] of this.tags.get(c) ?? []) {
      if (!live(r.at)) continue;
      newest = Math.max(newest, r.at);
      if (r.value) tags.push(tag);
    }
    if (tags.length) attributes['tags'] = tags.sort();
    const sep = c.indexOf('|');
    return {
      view: { type: Number(c.slice(0, sep)) as 1 | 2 | 3, target: c.slice(sep + 1), attributes },
      newest,
    };
  }

  isRemoved(c: ConversationKey): boolean {
    return this.presence.get(c)?.value === false;
  }

  isKnown(c: ConversationKey): boolean {
    return this.presence.get(c)?.value === true;
  }

  userFolders(): StoredUserFolder[] {
    const out: StoredUserFolder[] = [];
    for (const [fid, r] of this.folders) {
      if (r.value) out.push({ folder: r.value, createdAt: this.created.get(fid) ?? r.at });
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.folder.id < b.folder.id ? -1 : 1));
  }

  /** What the final facts want from an empty ledger: desired groups and the planner's calls. */
  desired(appFolders: readonly AppFolder[], profile: ProviderProfile = yunxinProfile()) {
    const views: ConversationView[] = [];
    const recency = new Map<ConversationKey, number>();
    const removed = new Set<ConversationKey>();
    for (const c of this.presence.keys()) {
      const v = this.view(c);
      if (v) {
        views.push(v.view);
        recency.set(c, v.newest);
      } else removed.add(c);
    }
    views.sort((a, b) => a.type - b.type || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
    const emptyLedger = { groups: new Map(), members: new Map(), foreignGroups: 0 };
    const state = desiredState(
      {
        facts: { views, recency, removed },
        userFolders: this.userFolders(),
        ledger: emptyLedger,
        rejections: new Map(),
        retries: new Map(),
      },
      appFolders,
      profile,
      0,
    );
    const p = plan(state.input);
    const names = new Map(state.input.folders.map((f) => [f.key, f.groupName]));
    const eager = new Set(state.input.folders.filter((f) => f.createEagerly).map((f) => f.key));
    return { plan: p, names, eager };
  }
}

/** Replays events in arrival order, ignoring repeated ids, as the contract says. */
export function modelOf(events: readonly BenchEvent[]): Map<string, AccountModel> {
  const seen = new Set<string>();
  const models = new Map<string, AccountModel>();
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    let m = models.get(e.account);
    if (!m) {
      m = new AccountModel();
      models.set(e.account, m);
    }
    m.apply(e);
  }
  return models;
}

export interface MinimalCalls {
  /** firstContact + planner: what the product should make for a backlog of new accounts */
  total: number;
  /** one list per account: a new account's groups are read before anything is created */
  firstContact: number;
  /** the planner's calls from an empty ledger to the final desired state */
  planner: number;
  /** the same by formula: per folder that needs a group, max(1, ceil(members / 100)) */
  formula: number;
  groups: number;
  memberships: number;
  overflow: number;
}

export function minimalCalls(
  models: ReadonlyMap<string, AccountModel>,
  appFolders: readonly AppFolder[],
  profile?: ProviderProfile,
) {
  const total: MinimalCalls = {
    total: 0,
    firstContact: models.size,
    planner: 0,
    formula: 0,
    groups: 0,
    memberships: 0,
    overflow: 0,
  };
  for (const m of models.values()) {
    const { plan: p, eager } = m.desired(appFolders, profile);
    total.planner += p.calls.length;
    total.overflow += p.overflow.length;
    for (const [folder, members] of p.desired) {
      if (members.length === 0 && !eager.has(folder)) continue;
      total.groups++;
      total.memberships += members.length;
      total.formula += Math.max(1, Math.ceil(members.length / 100));
    }
  }
  total.total = total.firstContact + total.planner;
  return total;
}

/**
 * Compares what the simulator holds with the model's desired groups: per account, every
 * managed group's members and name, no duplicate managed group, no group of a deleted folder.
 * Managed groups are told by their marker (Yunxin) or by the folder's name (Tencent, where
 * the name is the marker). Returns the number of accounts that differ and a few examples.
 */
export function verifyAgainstSimulator(
  target: {
    groups: (account: string) => BenchGroup[];
    /** the provider's limits and naming (default Yunxin's) */
    profile?: ProviderProfile;
    provider?: 'yunxin' | 'tencent';
  },
  models: ReadonlyMap<string, AccountModel>,
  appFolders: readonly AppFolder[],
): { accounts: number; mismatched: number; examples: string[] } {
  let mismatched = 0;
  const examples: string[] = [];
  // Tencent lists teams and super teams alike as group conversations (`2|<GroupId>`)
  const asListed =
    target.provider === 'tencent'
      ? (key: string) => (key.startsWith('3|') ? `2|${key.slice(2)}` : key)
      : (key: string) => key;
  const groupsOf = target.groups;
  for (const [account, m] of models) {
    const { plan: p, names, eager } = m.desired(appFolders, target.profile);
    const byName = new Map([...names].map(([folder, name]) => [name, folder]));
    const actual = new Map<FolderKey, { name: string; members: string[] }>();
    const problems: string[] = [];
    for (const g of groupsOf(account)) {
      const folder = g.serverExtension === undefined ? byName.get(g.name) : parseMarker(g.serverExtension);
      if (!folder) {
        // Yunxin: not ours. Tencent: no folder wants this name, so it is a stray managed group.
        if (g.serverExtension === undefined) problems.push(`group "${g.name}" of no folder`);
        continue;
      }
      if (actual.has(folder)) problems.push(`two groups for ${folder}`);
      actual.set(folder, { name: g.name, members: [...g.members].sort() });
    }
    for (const folder of new Set<FolderKey>([...p.desired.keys(), ...actual.keys()])) {
      const want = p.desired.get(folder) ?? [];
      const got = actual.get(folder);
      const needsGroup = want.length > 0 || eager.has(folder);
      if (!got) {
        if (needsGroup) problems.push(`${folder}: no group, want ${want.length} members`);
        continue;
      }
      if (!names.has(folder)) {
        // a deleted user folder keeps no group; an app folder always has a name
        problems.push(`${folder}: group of a deleted folder`);
        continue;
      }
      if (got.name !== names.get(folder))
        problems.push(`${folder}: name "${got.name}" ≠ "${names.get(folder)}"`);
      if (got.members.join(',') !== [...new Set(want.map(asListed))].sort().join(','))
        problems.push(`${folder}: ${got.members.length} members, want ${want.length}`);
    }
    if (problems.length) {
      mismatched++;
      if (examples.length < 5) examples.push(`${account}: ${problems.slice(0, 3).join('; ')}`);
    }
  }
  return { accounts: models.size, mismatched, examples };
}
