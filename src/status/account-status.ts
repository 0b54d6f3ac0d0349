import { desiredState } from '../plan/desired.js';
import { plan as makePlan } from '../plan/planner.js';
import type { FolderKey, Overflow, Plan, PlannedCall } from '../plan/types.js';
import type { ProviderProfile } from '../provider/types.js';
import { planView } from '../reconcile/plan-view.js';
import type { AppFolder } from '../rules/schema.js';
import type { AccountStore } from '../store/account-store.js';
import type { FolderError, ParkedRecord } from '../store/records.js';

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
  lastError: FolderError | undefined;
  /** the folder's stored record does not decode: its group is left as it is */
  frozen: boolean;
}

export interface AccountStatus {
  account: string;
  lastSyncAt: number | undefined;
  lastCalls: number | undefined;
  /** the fleet rules generation the last reconcile ran under */
  rulesGeneration: number | undefined;
  /** last read-back of the provider's groups (first contact, resync, verification) */
  verifiedAt: number | undefined;
  /**
   * the ledger was not read back under the current deployment epoch (a new account, or Redis
   * lost data): the next reconcile adopts from the provider before it creates anything
   */
  awaitingReadoption: boolean;
  resyncRequested: boolean;
  /** the reconcile was given up: it kept failing for a reason retries cannot fix */
  parked: ParkedRecord | undefined;
  /** conversations this service created so that they could be grouped (Yunxin 110404) */
  conversationsCreated: number;
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
  profile: ProviderProfile,
  now: number,
  /** the deployment's current epoch, when known */
  epoch?: string,
): Promise<AccountStatus> {
  const state = await store.load(account);
  const desired = desiredState(planView(state), appFolders, profile, now);
  const plan: Plan = makePlan(desired.input);
  const folders = new Set<FolderKey>([
    ...desired.input.folders.map((f) => f.key),
    ...state.ledger.groups.keys(),
  ]);
  const names = new Map(desired.input.folders.map((f) => [f.key, f.groupName]));
  return {
    account,
    lastSyncAt: state.status.lastSyncAt,
    lastCalls: state.status.lastCalls,
    rulesGeneration: state.status.rulesGeneration,
    verifiedAt: state.status.verifiedAt,
    awaitingReadoption:
      state.ledger.epoch === undefined || (epoch !== undefined && state.ledger.epoch !== epoch),
    resyncRequested: state.resyncRequest !== undefined,
    parked: state.parked,
    conversationsCreated: state.status.conversationsCreated ?? 0,
    foreignGroups: state.ledger.foreignGroups,
    plan: plan.calls,
    folders: [...folders].map((folder) => {
      const want = plan.desired.get(folder) ?? [];
      const have = state.ledger.members.get(folder) ?? new Set();
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
        lastError: state.status.folderErrors.get(folder),
        frozen: state.frozenFolders.has(folder),
      };
    }),
  };
}
