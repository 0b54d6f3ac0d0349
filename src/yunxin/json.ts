/**
 * JSON.parse that keeps integers too large for a double (group ids are int64) as their decimal
 * text: the reviver's `context.source` (Node 22+) is the literal as written. The schemas then
 * accept a group id as number or string.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  return JSON.parse(text, keepBigInts as Reviver);
}

type Reviver = (this: unknown, key: string, value: unknown) => unknown;

function keepBigInts(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value) || context?.source === undefined) return value;
  return /^-?\d+$/.test(context.source) ? context.source : value;
}
