import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A check run right before each provider request of the current reconcile, after its rate-limit
 * slot came: a worker that lost its account's lease while it waited (paused, starved, Redis
 * away longer than LOCK_MS) must not call the provider, or it would duplicate what its
 * successor does. AsyncLocalStorage carries the check from the reconcile to the client hook.
 */
const guard = new AsyncLocalStorage<() => Promise<void>>();

export function withCallGuard<T>(check: () => Promise<void>, op: () => Promise<T>): Promise<T> {
  return guard.run(check, op);
}

export async function checkCallGuard(): Promise<void> {
  await guard.getStore()?.();
}
