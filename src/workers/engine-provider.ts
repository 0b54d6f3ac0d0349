import { setMaxListeners } from 'node:events';
import type { Config } from '../config.js';
import type { RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import { ConfigurationAlarm } from '../provider/configuration-alarm.js';
import { createProvider } from '../provider/create-provider.js';
import type { GroupProvider } from '../provider/types.js';
import { checkCallGuard } from '../reconcile/call-guard.js';
import type { EngineObserver } from '../reconcile/observer.js';
import { CallGate } from '../store/call-gate.js';
import type { Keys } from '../store/keys.js';

/**
 * The provider as the workers call it: every request waits for the fleet-wide rate-limit slot,
 * then for the reconcile's lease check; answers feed the metrics and the configuration alarm.
 */
export function engineProvider(
  config: Config,
  deps: { redis: RedisClient; keys: Keys; log: Logger; observer: EngineObserver; shutdown: AbortSignal },
) {
  const { observer, shutdown } = deps;
  // every waiting provider call listens to this signal: many at once are expected, not a leak
  setMaxListeners(0, shutdown);
  const gate = new CallGate(deps.redis, deps.keys, {
    perSecond: config.PROVIDER_RATE_LIMIT,
    pauseBaseMs: config.RATE_LIMIT_BACKOFF_MS,
    pauseMaxMs: config.RATE_LIMIT_BACKOFF_MAX_MS,
    onPause: (ms) => observer.rateLimitPause?.(ms),
  });
  let alarm: ConfigurationAlarm | undefined;
  const provider: GroupProvider = createProvider(config, {
    beforeCall: async () => {
      await gate.acquire(shutdown);
      await checkCallGuard();
    },
    onCall: (endpoint, answer, seconds) => {
      observer.providerCall?.(endpoint, answer, seconds);
      alarm?.observe(endpoint, answer.code, provider.successCode);
    },
    onTimeoutBudget: (endpoint, ms) => observer.providerTimeout?.(endpoint, ms / 1000),
    log: deps.log,
  });
  alarm = new ConfigurationAlarm(provider.configurationCodes, deps.log, (error) =>
    observer.providerMisconfigured?.(error),
  );
  return { gate, provider, alarm };
}
