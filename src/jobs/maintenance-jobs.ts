import type { Queue } from 'bullmq';
import { JOB_NAMES, MAINTENANCE_JOB_OPTIONS } from './queues.js';

/** The data of a rules-changed job: the generation whose fleet-wide re-reconcile it is. */
export interface RulesChangedData {
  generation: number;
}

/**
 * Queues the fleet-wide re-reconcile of an installed rules generation. The job id is unique per
 * install and the same for every process, so however many processes see an install, it is
 * walked once; A→B→A is three installs and three walks.
 */
export async function enqueueRulesWalk(
  queue: Queue,
  rules: { generation: number; installedAt: number },
): Promise<void> {
  const data: RulesChangedData = { generation: rules.generation };
  await queue.add(JOB_NAMES.rulesChanged, data, {
    ...MAINTENANCE_JOB_OPTIONS,
    jobId: `rules-${rules.generation}-${rules.installedAt}`,
  });
}

/** Queues a resync of every known account (`folder-sync resync --all`). */
export async function enqueueResyncAll(queue: Queue): Promise<void> {
  await queue.add(JOB_NAMES.resyncAll, {}, MAINTENANCE_JOB_OPTIONS);
}
