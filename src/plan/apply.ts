/**
 * Simulates the successful execution of planned calls on a ledger: what the ledger would hold
 * afterwards. Used by the tests (plan → apply → plan must settle) and the `plan` dry run.
 */
import type { ConversationKey, FolderKey, Ledger, LedgerGroup, PlannedCall } from './types.js';

/**
 * Pure: returns a new ledger and leaves `ledger` untouched. Throws when a call does not fit the
 * ledger (a missing or pending group, a groupId that does not match, a second create), since a
 * plan that does so is a planner bug. `groupId: ''` means "the group this folder's create made,
 * earlier in `calls`".
 */
export function applyCalls(
  ledger: Ledger,
  calls: readonly PlannedCall[],
  newGroupId: (folder: FolderKey) => string,
): Ledger {
  const groups = new Map<FolderKey, LedgerGroup>(ledger.groups);
  const members = new Map<FolderKey, Set<ConversationKey>>();
  for (const [folder, set] of ledger.members) members.set(folder, new Set(set));
  const created = new Set<FolderKey>();

  const target = (call: PlannedCall & { groupId: string }): Set<ConversationKey> => {
    const group = groups.get(call.folder);
    if (group === undefined || group.pending || group.groupId === undefined) {
      throw new Error(`${call.kind} for ${call.folder}: no confirmed group`);
    }
    const matches = call.groupId === '' ? created.has(call.folder) : call.groupId === group.groupId;
    if (!matches) throw new Error(`${call.kind} for ${call.folder}: group ${call.groupId} is not its group`);
    let set = members.get(call.folder);
    if (set === undefined) {
      set = new Set();
      members.set(call.folder, set);
    }
    return set;
  };

  for (const call of calls) {
    switch (call.kind) {
      case 'create': {
        if (groups.has(call.folder)) throw new Error(`create for ${call.folder}: it already has a group`);
        groups.set(call.folder, { groupId: newGroupId(call.folder), name: call.name, pending: false });
        members.set(call.folder, new Set(call.ids));
        created.add(call.folder);
        break;
      }
      case 'delete':
        target(call);
        groups.delete(call.folder);
        members.delete(call.folder);
        break;
      case 'rename':
        target(call);
        groups.set(call.folder, { ...groups.get(call.folder)!, name: call.name });
        break;
      case 'add': {
        const set = target(call);
        for (const id of call.ids) set.add(id);
        break;
      }
      case 'remove': {
        const set = target(call);
        for (const id of call.ids) set.delete(id);
        break;
      }
      case 'update': {
        const set = target(call);
        for (const id of call.remove) set.delete(id);
        for (const id of call.add) set.add(id);
        break;
      }
    }
  }
  return { groups, members, foreignGroups: ledger.foreignGroups };
}
