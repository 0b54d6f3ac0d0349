/**
 * A pure computation cut into steps: it yields now and then, so that a caller holding an event
 * loop may let it run (a 100k-conversation account must not stall /healthz or job locks), while
 * callers with no such concern drain it at once. Nothing but control flows through a yield.
 */
export type Steps<T> = Generator<void, T, undefined>;

/** Runs every step now. */
export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** How long the event loop is held at most between two yields (about; one step may run over). */
export const SLICE_MS = 20;

/** Runs the steps, giving the event loop a turn whenever a slice has run SLICE_MS. */
export async function runSliced<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** Work units between two yields of a Steps loop: small enough for SLICE_MS on a slow core. */
export const STEP_EVERY = 2_000;
