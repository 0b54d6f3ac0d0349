/** Wording shared by the rules and event schemas, so both say "expected X, got Y" the same way. */

export const kindOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' || typeof value === 'undefined'
    ? `an ${typeof value}`
    : `a ${typeof value}`;
};

/** invalid_type message: `required` for a missing key, otherwise what was expected and what came. */
export const expected =
  (what: string) =>
  (issue: { input: unknown }): string =>
    issue.input === undefined ? `required; expected ${what}` : `expected ${what}, got ${kindOf(issue.input)}`;

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
