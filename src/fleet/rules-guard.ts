import { type AccountSnapshot, desiredState } from '../plan/desired.js';
import { plan } from '../plan/planner.js';
import type { ProviderProfile } from '../provider/types.js';
import type { AppFolder } from '../rules/schema.js';

/** What a rules change would delete, estimated on a sample of accounts. */
export interface DeletionEstimate {
  sampled: number;
  /** confirmed groups of app folders in the sample */
  managed: number;
  /** of those, how many the new rules would delete */
  deletes: number;
  /** deletes / managed (0 when nothing is managed) */
  share: number;
}

/**
 * One account's confirmed app-folder groups, and how many of them a plan under `folders` would
 * delete (pure). User folders are the users' own: rules never decide them, so they do not count.
 */
export function plannedDeletions(
  snapshot: AccountSnapshot,
  folders: readonly AppFolder[],
  profile: ProviderProfile,
  now: number,
): { managed: number; deletes: number } {
  const isApp = (folder: string) => folder.startsWith('app:');
  const managed = [...snapshot.ledger.groups].filter(([f, g]) => isApp(f) && g.groupId !== undefined).length;
  if (managed === 0) return { managed, deletes: 0 };
  const calls = plan(desiredState(snapshot, folders, profile, now).input).calls;
  return { managed, deletes: calls.filter((c) => c.kind === 'delete' && isApp(c.folder)).length };
}

export function sumEstimates(parts: ReadonlyArray<{ managed: number; deletes: number }>): DeletionEstimate {
  const managed = parts.reduce((n, p) => n + p.managed, 0);
  const deletes = parts.reduce((n, p) => n + p.deletes, 0);
  return { sampled: parts.length, managed, deletes, share: managed === 0 ? 0 : deletes / managed };
}
