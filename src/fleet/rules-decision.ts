/**
 * What a process does with its own rules file, given the fleet's (pure). The fleet runs one set
 * of rules, stored in Redis; a process's file only ever proposes a change:
 * - a higher version wins, so a rolling deploy moves forward and an older process started
 *   mid-rollout cannot roll the fleet back (it runs the fleet's rules and says so);
 * - two different files with the same version are a conflict: the fleet keeps what it runs;
 * - unversioned rules (version 0) follow the last writer: a process installs its file when it
 *   starts or when the file changes under it, never on a periodic check, so processes with
 *   different unversioned files do not flip the fleet back and forth.
 */
export interface RulesIdentity {
  /** 0 for an unversioned file */
  version: number;
  hash: string;
}

/** start: the process starts; edit: its file changed; poll: the periodic check; missing: no fleet rules */
export type RulesTrigger = 'start' | 'edit' | 'poll' | 'missing';

export type RulesDecision = 'install' | 'same' | 'older' | 'conflict' | 'keep';

export function decideRules(
  fleet: RulesIdentity | undefined,
  file: RulesIdentity,
  trigger: RulesTrigger,
): RulesDecision {
  if (!fleet) return 'install';
  if (fleet.hash === file.hash) return 'same';
  if (file.version > fleet.version) return 'install';
  if (file.version < fleet.version) return 'older';
  if (file.version > 0) return 'conflict';
  return trigger === 'poll' ? 'keep' : 'install';
}
