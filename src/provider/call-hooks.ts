import { answerOf, type CallAnswer, ProviderCallError } from './errors.js';

/** Where the engine plugs into every provider call: the shared rate limiter and the metrics. */
export interface CallHooks<E extends string> {
  /** awaited before every HTTP request */
  beforeCall?: (endpoint: E) => Promise<void>;
  /** told after every call: the endpoint name, the answer (code and outcome) and seconds */
  onCall?: (endpoint: E, answer: CallAnswer, seconds: number) => void;
}

/** The hooks with what reporting needs: the clock and the provider's success code. */
export type CallReporting<E extends string> = CallHooks<E> & { now: () => number; successCode: number };

/**
 * Runs one provider call between the hooks: waits for the rate limiter, then reports the
 * answer (the provider's success code, or the error's answer) and how long it took.
 */
export async function hookedCall<E extends string, T>(
  hooks: CallReporting<E>,
  endpoint: E,
  run: () => Promise<T>,
): Promise<T> {
  await hooks.beforeCall?.(endpoint);
  const started = hooks.now();
  try {
    const result = await run();
    hooks.onCall?.(endpoint, { code: hooks.successCode, outcome: 'ok' }, (hooks.now() - started) / 1000);
    return result;
  } catch (error) {
    if (error instanceof ProviderCallError)
      hooks.onCall?.(endpoint, answerOf(error), (hooks.now() - started) / 1000);
    throw error;
  }
}
