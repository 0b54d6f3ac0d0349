/**
 * Plain code-unit order, never localeCompare: the plan must not depend on the host's locale.
 */
export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Splits `items` in order into runs of at most `size` (size ≥ 1); [] gives no chunks. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
