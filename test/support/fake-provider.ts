import type { ConversationKey, FolderKey } from '../../src/plan/types.js';
import type { ErrorKind } from '../../src/provider/errors.js';
import type {
  GroupProvider,
  GroupRef,
  ItemResult,
  ProviderError,
  ProviderProfile,
  RemoteGroup,
} from '../../src/provider/types.js';
import { checkCallGuard } from '../../src/reconcile/call-guard.js';
import { yunxinProfile } from '../../src/yunxin/provider.js';

export interface FakeGroup {
  groupId: string;
  name: string;
  /** set for a group this service marked */
  folder?: FolderKey;
  members: Set<ConversationKey>;
}

type Method =
  | 'listGroups'
  | 'members'
  | 'create'
  | 'changeMembers'
  | 'rename'
  | 'delete'
  | 'createConversation';

export function providerError(kind: ErrorKind, code = 500, msg = 'fake'): ProviderError {
  return Object.assign(new Error(`${code} ${msg}`), { kind, code, msg, endpoint: 'fake', traceId: 'trace' });
}

/**
 * When a scripted failure strikes: `unsent` before the request left (a shutdown's abort),
 * `refused` answered with an error, `lost` applied but its answer never came.
 */
export type FailureTiming = 'unsent' | 'refused' | 'lost';

export interface FakeProviderOptions {
  /** limits and group names (default: Yunxin's); tencentProfile() gives mixed membership updates */
  profile?: ProviderProfile;
  /** groups the account may hold, the user's own included: a create beyond is refused (116435) */
  maxGroups?: number;
}

/** An item failure as the provider reports it in an answer (create or add). */
export type ItemFailure = { code: number; msg: string; kind: ErrorKind };

/**
 * A provider in memory with Yunxin's limits and markers (or the profile given), for reconcile
 * tests without HTTP. Each operation passes the call guard first, as the real clients' hook
 * does; `failNext` makes the next call of a method fail, `failItems` makes adds of a conversation
 * fail one by one.
 */
export class FakeProvider implements GroupProvider {
  readonly name = 'fake';
  readonly limits: GroupProvider['limits'];
  readonly groupName: GroupProvider['groupName'];
  readonly groups: FakeGroup[] = [];
  readonly calls: Method[] = [];
  /** each changeMembers as sent */
  readonly changes: Array<{ groupId: string; add: ConversationKey[]; remove: ConversationKey[] }> = [];
  /** the group ids of each members read */
  readonly memberReads: string[][] = [];
  /** adds of these conversations fail alone, with this answer, until taken out of the map */
  readonly failItems = new Map<ConversationKey, ItemFailure>();
  readonly missingConversationCode = 110404;
  readonly configurationCodes: ReadonlySet<number> = new Set([101303]);
  readonly successCode = 200;
  readonly nameRefusalCodes: ReadonlySet<number> = new Set([414]);
  /** conversations that exist (undefined: every one does); adding another fails with 110404 */
  existing: Set<ConversationKey> | undefined;
  /** conversations made by createConversation */
  readonly createdConversations: ConversationKey[] = [];
  /** runs as a request arrives, before it is applied (to interleave a concurrent change) */
  onRequest: ((method: Method) => Promise<void> | void) | undefined;
  private nextId = 1;
  private readonly failures = new Map<Method, Array<{ error: unknown; when: FailureTiming }>>();
  private readonly maxGroups: number;

  constructor(opts: FakeProviderOptions = {}) {
    const profile = opts.profile ?? yunxinProfile();
    this.limits = profile.limits;
    this.groupName = profile.groupName;
    this.maxGroups = opts.maxGroups ?? Number.POSITIVE_INFINITY;
  }

  failNext(method: Method, error: unknown, when: FailureTiming = 'refused'): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), { error, when }]);
  }

  /** A group as a client makes it: with a marker (`folder`) only when this service made it. */
  add(name: string, members: ConversationKey[], folder?: FolderKey): FakeGroup {
    const group = {
      groupId: String(this.nextId++),
      name,
      members: new Set(members),
      ...(folder ? { folder } : {}),
    };
    this.groups.push(group);
    return group;
  }

  async listGroups(): Promise<RemoteGroup[]> {
    return this.run('listGroups', () =>
      this.groups.map((g) => ({
        groupId: g.groupId,
        name: g.name,
        ...(g.folder ? { folder: g.folder } : {}),
      })),
    );
  }

  async members(_account: string, groupIds: readonly string[]) {
    return this.run('members', () => {
      this.memberReads.push([...groupIds]);
      return new Map(
        groupIds.map((id) => [id, [...(this.find(id)?.members ?? [])]] as [string, ConversationKey[]]),
      );
    });
  }

  async create(_account: string, folder: FolderKey, name: string, ids: readonly ConversationKey[]) {
    return this.run('create', () => {
      if (this.groups.length >= this.maxGroups) throw providerError('permanent', 116435, 'too many groups');
      const { ok, failed } = this.splitExisting(ids);
      const group = this.add(name, ok, folder);
      return { groupId: group.groupId, succeeded: ok, failed };
    });
  }

  async createConversation(_account: string, conversation: ConversationKey): Promise<void> {
    await this.run('createConversation', () => {
      this.existing?.add(conversation);
      this.createdConversations.push(conversation);
    });
  }

  private splitExisting(ids: readonly ConversationKey[]) {
    const fails = (c: ConversationKey): ItemFailure | undefined =>
      this.existing && !this.existing.has(c)
        ? { code: 110404, msg: 'conversation not exist', kind: 'permanent' }
        : this.failItems.get(c);
    const ok = ids.filter((c) => !fails(c));
    const failed = ids.flatMap((c) => {
      const failure = fails(c);
      return failure ? [{ conversation: c, ...failure }] : [];
    });
    return { ok, failed };
  }

  async changeMembers(
    _account: string,
    ref: GroupRef,
    change: { add?: readonly ConversationKey[]; remove?: readonly ConversationKey[] },
  ): Promise<ItemResult> {
    return this.run('changeMembers', () => {
      this.changes.push({
        groupId: ref.groupId,
        add: [...(change.add ?? [])],
        remove: [...(change.remove ?? [])],
      });
      const group = this.find(ref.groupId);
      if (!group) throw providerError('permanent', 116404, 'group missing');
      const { ok, failed } = this.splitExisting(change.add ?? []);
      for (const c of ok) group.members.add(c);
      for (const c of change.remove ?? []) group.members.delete(c);
      return { succeeded: [...ok, ...(change.remove ?? [])], failed };
    });
  }

  async rename(_account: string, ref: GroupRef, name: string): Promise<void> {
    await this.run('rename', () => {
      const group = this.find(ref.groupId);
      if (!group) throw providerError('permanent', 116404, 'group missing');
      group.name = name;
    });
  }

  async delete(_account: string, ref: GroupRef): Promise<void> {
    await this.run('delete', () => {
      const i = this.groups.findIndex((g) => g.groupId === ref.groupId);
      if (i < 0) throw providerError('permanent', 116404, 'group missing');
      this.groups.splice(i, 1);
    });
  }

  condition(error: ProviderError) {
    return error.code === 116404 ? 'group_missing' : error.code === 116435 ? 'group_limit' : undefined;
  }

  async close(): Promise<void> {}

  private find(groupId: string): FakeGroup | undefined {
    return this.groups.find((g) => g.groupId === groupId);
  }

  private async run<T>(method: Method, apply: () => T): Promise<T> {
    const failure = this.failures.get(method)?.shift();
    if (failure?.when === 'unsent') throw failure.error;
    await checkCallGuard();
    this.calls.push(method);
    await this.onRequest?.(method);
    if (failure?.when === 'refused') throw failure.error;
    const result = apply();
    if (failure) throw failure.error;
    return result;
  }
}
