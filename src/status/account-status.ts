import { desiredState } from '../plan/desired.js';
import { plan as makePlan } from '../plan/planner.js';
import type { FolderKey, Overflow, Plan, PlannedCall } from '../plan/types.js';
import type { GroupProvider } from '../provider/types.js';
import type { AppFolder } from '../rules/schema.js';
import type { AccountStore } from '../store/account-store.js';

export interface FolderStatus {
  folder: FolderKey;
  groupName: string;
  groupId: string | undefined;
  /** members the rules want, after provider limits */
  desired: number;
  /** desired members the provider confirmed */
  synced: number;
  /** planned calls for this folder if a reconcile ran now */
  pendingCalls: number;
  rejections: Array<{ conversation: string; code: number; msg: string; at: number }>;
  retrying: number;
  overflow: Overflow[];
  lastError: { code: number; msg: string; endpoint: string; traceId: string; at: number } | undefined;
}

export interface AccountStatus {
  account: string;
  lastSyncAt: number | undefined;
  lastCalls: number | undefined;
  resyncRequested: boolean;
  foreignGroups: number;
  folders: FolderStatus[];
  /** the calls a reconcile would make now (a dry run: nothing is sent) */
  plan: PlannedCall[];
}

/** Reads an account's state and plans without acting: `folder-sync status` and `plan`. */
export async function accountStatus(
  account: string,
  store: AccountStore,
  appFolders: readonly AppFolder[],
  profile: Pick<GroupProvider, 'limits' | 'groupName'>,
  now: number,
): Promise<AccountStatus> {
  const state = await store.load(account);
  const desired = desiredState(state, appFolders, profile, now);
  const plan: Plan = makePlan(desired.input);
  const folders = new Set<FolderKey>([
    ...desired.input.folders.map((f) => f.key),
    ...state.ledger.groups.keys(),
  ]);
  const names = new Map(desired.input.folders.map((f) => [f.key, f.groupName]));
  return {
    account,
    lastSyncAt: num(state.status.lastSyncAt),
    lastCalls: num(state.status.lastCalls),
    resyncRequested: state.resync,
    foreignGroups: state.ledger.foreignGroups,
    plan: plan.calls,
    folders: [...folders].map((folder) => {
      const want = plan.desired.get(folder) ?? [];
      const have = state.ledger.members.get(folder) ?? new Set();
      const error = state.status[`error|${folder}`];
      return {
        folder,
        groupName: names.get(folder) ?? state.ledger.groups.get(folder)?.name ?? '',
        groupId: state.ledger.groups.get(folder)?.groupId,
        desired: want.length,
        synced: want.filter((c) => have.has(c)).length,
        pendingCalls: plan.calls.filter((c) => c.folder === folder).length,
        rejections: [...state.rejections]
          .filter(([pair]) => pair.startsWith(`${folder}|`))
          .map(([pair, r]) => ({
            conversation: pair.slice(folder.length + 1),
            code: r.code,
            msg: r.msg,
            at: r.at,
          })),
        retrying: [...state.retries.keys()].filter((pair) => pair.startsWith(`${folder}|`)).length,
        overflow: plan.overflow.filter((o) => o.folder === folder),
        lastError: error ? JSON.parse(error) : undefined,
      };
    }),
  };
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
