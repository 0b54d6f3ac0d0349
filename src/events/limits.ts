import type { Rule } from '../rules/schema.js';
import type { DomainEvent } from './schema.js';

/**
 * Limits on what one producer may make a worker evaluate (configurable: src/config.ts). The
 * schema refuses shapes; these refuse sizes that are valid but costly: a reconcile evaluates
 * every user folder's rule against every conversation of the account.
 */
export interface EventLimits {
  /** values in one `in` list of a user folder's rule (RULE_MAX_IN_VALUES) */
  maxInValues: number;
  /** rule nodes plus `in` values of one user folder (USER_FOLDER_MAX_RULE_SIZE) */
  maxUserFolderRuleSize: number;
}

/** Live conversations and user folders one account may hold (ACCOUNT_MAX_…): enforced by the fold. */
export interface AccountLimits {
  conversations: number;
  userFolders: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = { maxInValues: 100, maxUserFolderRuleSize: 200 };

/** Rule nodes and `in` values of a rule, and the path and size of its largest `in` list. */
function ruleSize(rule: Rule, path: string): { size: number; largestIn?: { path: string; values: number } } {
  let size = 1;
  let largestIn: { path: string; values: number } | undefined;
  const visit = (r: { size: number; largestIn?: { path: string; values: number } }) => {
    size += r.size;
    if (r.largestIn && r.largestIn.values > (largestIn?.values ?? -1)) largestIn = r.largestIn;
  };
  if ('all' in rule) for (const [i, r] of rule.all.entries()) visit(ruleSize(r, `${path}.all[${i}]`));
  else if ('any' in rule) for (const [i, r] of rule.any.entries()) visit(ruleSize(r, `${path}.any[${i}]`));
  else if ('not' in rule) visit(ruleSize(rule.not, `${path}.not`));
  else if ('in' in rule) {
    size += rule.in.length;
    largestIn = { path: `${path}.in`, values: rule.in.length };
  }
  return largestIn ? { size, largestIn } : { size };
}

/** The first limit an event breaks, as `path: reason`, or undefined. */
export function findLimitProblem(event: DomainEvent, limits: EventLimits): string | undefined {
  if (event.type !== 'folder.upserted' || event.folder.rule === undefined) return undefined;
  const { size, largestIn } = ruleSize(event.folder.rule, 'folder.rule');
  if (largestIn && largestIn.values > limits.maxInValues)
    return `${largestIn.path}: ${largestIn.values} values; at most ${limits.maxInValues} are allowed (RULE_MAX_IN_VALUES)`;
  if (size > limits.maxUserFolderRuleSize)
    return `folder.rule: ${size} rule nodes and values; at most ${limits.maxUserFolderRuleSize} are allowed in a user folder (USER_FOLDER_MAX_RULE_SIZE)`;
  return undefined;
}
