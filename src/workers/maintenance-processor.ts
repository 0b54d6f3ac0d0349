import type { Job } from 'bullmq';
import { markWalked } from '../fleet/rules.js';
import type { RedisClient } from '../jobs/connection.js';
import type { RulesChangedData } from '../jobs/maintenance-jobs.js';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import { JOB_NAMES } from '../jobs/queues.js';
import type { Logger } from '../log.js';
import type { Keys } from '../store/keys.js';
import { reconcileEveryAccount } from './maintenance.js';

export interface MaintenanceProcessorDeps {
  redis: RedisClient;
  keys: Keys;
  reconcile: PartitionedQueue;
  debounceMs: number;
  log: Logger;
  signal: AbortSignal;
}

/** Fleet-wide walks: a reconcile (or a resync) of every known account. */
export function maintenanceProcessor(deps: MaintenanceProcessorDeps) {
  return async (job: Job) => {
    const resync = job.name === JOB_NAMES.resyncAll;
    const accounts = await reconcileEveryAccount(deps.redis, deps.keys, deps.reconcile, {
      resync,
      delayMs: deps.debounceMs,
      signal: deps.signal,
    });
    if (job.name === JOB_NAMES.rulesChanged) {
      await markWalked(deps.redis, deps.keys, (job.data as RulesChangedData).generation);
    }
    deps.log.info({ job: job.name, accounts }, 'queued a reconcile for every known account');
    return { accounts };
  };
}
