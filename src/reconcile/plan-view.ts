import type { AccountSnapshot } from '../plan/desired.js';
import type { LoadedAccount } from '../store/account-store.js';

/**
 * What the planner sees of an account (pure): a user folder whose record did not decode is
 * hidden with its group, so that group is neither changed nor deleted; it still takes one of
 * the account's group slots.
 */
export function planView(state: LoadedAccount): AccountSnapshot {
  if (state.frozenFolders.size === 0) return state;
  const groups = new Map([...state.ledger.groups].filter(([f]) => !state.frozenFolders.has(f)));
  const members = new Map([...state.ledger.members].filter(([f]) => !state.frozenFolders.has(f)));
  const frozen = state.ledger.groups.size - groups.size;
  return { ...state, ledger: { groups, members, foreignGroups: state.ledger.foreignGroups + frozen } };
}
