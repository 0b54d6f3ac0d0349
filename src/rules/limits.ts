/**
 * Size limits on rules, checked on the raw parsed value *before* the schema walks it,
 * so hostile input can make neither the validator nor the evaluator recurse or loop
 * without bound. The walk itself stops at the first problem.
 */
export const MAX_RULE_DEPTH = 32;
export const MAX_RULE_NODES = 1000;

export interface LimitProblem {
  path: (string | number)[];
  message: string;
}

/** Shared across the rules of one file: the node limit is a total. */
export interface NodeBudget {
  used: number;
  scope: 'file' | 'rule';
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Counts every value in a rule position (the rule itself, each `all`/`any` element,
 * each `not` operand) as one node; the top rule is at depth 1.
 * `path` is the location of `rule`; it is used as a stack and restored on return.
 */
export function findRuleLimitProblem(
  rule: unknown,
  path: (string | number)[],
  budget: NodeBudget,
  depth = 1,
): LimitProblem | undefined {
  if (depth > MAX_RULE_DEPTH) {
    return {
      path: [...path],
      message: `rule nested too deeply; at most ${MAX_RULE_DEPTH} levels are allowed`,
    };
  }
  budget.used += 1;
  if (budget.used > MAX_RULE_NODES) {
    return {
      path: [...path],
      message: `too many rules; at most ${MAX_RULE_NODES} rule nodes are allowed per ${budget.scope}`,
    };
  }
  if (!isRecord(rule)) return undefined;
  for (const key of ['all', 'any'] as const) {
    const list = Object.hasOwn(rule, key) ? rule[key] : undefined;
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      path.push(key, i);
      const problem = findRuleLimitProblem(list[i], path, budget, depth + 1);
      path.length -= 2;
      if (problem) return problem;
    }
  }
  if (Object.hasOwn(rule, 'not')) {
    path.push('not');
    const problem = findRuleLimitProblem(rule['not'], path, budget, depth + 1);
    path.length -= 1;
    if (problem) return problem;
  }
  return undefined;
}

/** The file-level walk: every `folders[i].rule`, sharing one node budget. */
export function findFileLimitProblem(file: unknown): LimitProblem | undefined {
  if (!isRecord(file) || !Array.isArray(file['folders'])) return undefined;
  const budget: NodeBudget = { used: 0, scope: 'file' };
  const folders: unknown[] = file['folders'];
  for (let i = 0; i < folders.length; i++) {
    const folder = folders[i];
    if (!isRecord(folder) || !Object.hasOwn(folder, 'rule')) continue;
    const problem = findRuleLimitProblem(folder['rule'], ['folders', i, 'rule'], budget);
    if (problem) return problem;
  }
  return undefined;
}
