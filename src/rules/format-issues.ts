import type { z } from 'zod';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders a zod issue path the way a user would write it in JavaScript:
 * `folders[1].rule.all[0].attr`. Keys that are not identifiers are quoted
 * (`attributes["x-y"]`); the empty path is `(root)`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'symbol') out += `[${segment.toString()}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * One `path: reason` line per problem, in the order zod found them (document order).
 * Unknown keys are reported one per key at the key's own path, so the path alone
 * points at the typo.
 */
export function formatZodIssues(error: z.ZodError): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // zod's default text lists every key; per-key lines only need the reason.
      const reason = issue.message.startsWith('Unrecognized key') ? 'unknown key' : issue.message;
      for (const key of issue.keys) lines.push(`${formatPath([...issue.path, key])}: ${reason}`);
    } else {
      lines.push(`${formatPath(issue.path)}: ${issue.message}`);
    }
  }
  return lines;
}
