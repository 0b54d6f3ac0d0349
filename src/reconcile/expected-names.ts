import type { FolderKey } from '../plan/types.js';
import type { LoadedAccount } from '../store/account-store.js';

/**
 * The group name the engine expects for each folder (name-addressed providers): the ledger's
 * for folders it holds, else the rules'. One name per folder, so a user's own group that happens
 * to carry a folder's next name is never taken for a second copy of that folder's group.
 */
export function expectedNames(
  state: Pick<LoadedAccount, 'ledger'>,
  desiredNames: ReadonlyMap<FolderKey, string> = new Map(),
): Map<string, FolderKey> {
  const names = new Map<string, FolderKey>();
  const ledger = state.ledger.groups;
  for (const [folder, group] of ledger) names.set(group.name, folder);
  for (const [folder, name] of desiredNames) {
    if (!ledger.has(folder) && !names.has(name)) names.set(name, folder);
  }
  return names;
}
