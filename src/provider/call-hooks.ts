import { inSpan } from '../telemetry/api.js';
import { answerOf, type CallAnswer, ProviderCallError } from './errors.js';

/** Where the engine plugs into every provider call: the shared rate limiter and the metrics. */
export interface CallHooks<E extends string> {
  /** awaited before every HTTP request */
  beforeCall?: (endpoint: E) => Promise<void>;
  /** told after every call: the endpoint name, the answer (code and outcome) and seconds */
  onCall?: (endpoint: E, answer: CallAnswer, seconds: number) => void;
}

/** The hooks with what reporting needs: the provider's name, the clock and its success code. */
export type CallReporting<E extends string> = CallHooks<E> & {
  provider: string;
  now: () => number;
  successCode: number;
};

/**
 * Runs one provider call between the hooks, in a span of its own (the wait for the rate limiter
 * included; its HTTP requests are children): waits for the rate limiter, then reports the
 * answer (the provider's success code, or the error's answer) and how long it took.
 */
export function hookedCall<E extends string, T>(
  hooks: CallReporting<E>,
  endpoint: E,
  run: () => Promise<T>,
): Promise<T> {
  return inSpan(`${hooks.provider} ${endpoint}`, {}, async (span) => {
    await hooks.beforeCall?.(endpoint);
    const started = hooks.now();
    const answered = (answer: CallAnswer) => {
      span.setAttribute('folder_sync.provider.outcome', answer.outcome);
      if (answer.code !== undefined) span.setAttribute('folder_sync.provider.code', answer.code);
      hooks.onCall?.(endpoint, answer, (hooks.now() - started) / 1000);
    };
    try {
      const result = await run();
      answered({ code: hooks.successCode, outcome: 'ok' });
      return result;
    } catch (error) {
      if (error instanceof ProviderCallError) answered(answerOf(error));
      throw error;
    }
  });
}
