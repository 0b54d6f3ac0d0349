import type { RedisClient } from '../jobs/connection.js';
import type { Keys } from '../store/keys.js';
import { readFleetRules } from './rules.js';
import { parseDeployment } from './sentinel.js';
import { livenessReport } from './takeover.js';

/**
 * What the whole fleet shares, for /readyz and `status`: the deployment epoch (and whether it
 * began because Redis lost data), the rules generation running, and a change the deletion guard
 * holds, the worker processes beating and accounts a dead one still holds. Read from Redis, so
 * any process shows the same.
 */
export async function fleetState(redis: RedisClient, keys: Keys, lockMs: number) {
  const [sentinel, { stored, held }, workers] = await Promise.all([
    redis.get(keys.deployment),
    readFleetRules(redis, keys),
    livenessReport(redis, keys, lockMs),
  ]);
  const deployment = parseDeployment(sentinel);
  return {
    deployment: deployment
      ? {
          epoch: deployment.epoch,
          since: new Date(deployment.createdAt).toISOString(),
          ...(deployment.dataLoss
            ? {
                redisDataLost: {
                  at: new Date(deployment.dataLoss.at).toISOString(),
                  reason: deployment.dataLoss.reason,
                  effect: 'every account is re-adopted from the provider on its next reconcile',
                },
              }
            : {}),
        }
      : 'not written yet (no worker has started)',
    rules: stored
      ? {
          generation: stored.generation,
          version: stored.version,
          hash: stored.hash,
          reconciledEverywhere: stored.walked >= stored.generation,
        }
      : 'none yet',
    workers,
    ...(held
      ? {
          rulesChangeHeld: {
            version: held.version,
            hash: held.hash,
            wouldDelete: `${held.estimate.deletes} of ${held.estimate.managed} sampled app-folder groups`,
            confirm: `folder-sync rules confirm ${held.version || held.hash.slice(0, 12)}`,
          },
        }
      : {}),
  };
}
