/** Capped exponential backoff with jitter in [0.5, 1] of the step: the n-th failure (n ≥ 1). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.floor(step * (0.5 + 0.5 * random())));
}
