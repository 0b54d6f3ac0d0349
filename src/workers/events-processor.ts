import type { Job } from 'bullmq';
import type { RedisClient } from '../jobs/connection.js';
import type { PartitionedQueue } from '../jobs/partitioned-queue.js';
import type { EventsJobData } from '../jobs/publish.js';
import { enqueueReconcile } from '../jobs/reconcile-jobs.js';
import type { Logger } from '../log.js';
import type { Keys } from '../store/keys.js';
import { inSpan } from '../telemetry/api.js';
import { noteReconcileCauses } from '../telemetry/reconcile-links.js';
import { type FoldOptions, foldEvents } from './fold-events.js';
import type { WorkerObserver } from './observer.js';

export interface EventsProcessorDeps {
  redis: RedisClient;
  keys: Keys;
  reconcile: PartitionedQueue;
  debounceMs: number;
  log: Logger;
  observer: WorkerObserver;
  /** the fold's options now (validation compares `at` with the clock) */
  foldOptions: () => FoldOptions;
}

/** Folds a batch of events into facts and queues a reconcile for every account it touched. */
export function eventsProcessor(deps: EventsProcessorDeps) {
  return async (job: Job<EventsJobData>) => {
    const events: unknown[] = Array.isArray(job.data?.events) ? job.data.events : [];
    const folded = await inSpan(
      'fold events',
      { attributes: { 'folder_sync.events': events.length } },
      async (span) => {
        const result = await foldEvents(deps.redis, deps.keys, events, deps.foldOptions());
        span.setAttributes({
          'folder_sync.events.changed': result.changed,
          'folder_sync.accounts.dirty': result.dirty.size,
        });
        return result;
      },
    );
    if (folded.invalid.length)
      deps.log.warn(
        { jobId: job.id, invalid: folded.invalid.slice(0, 10), count: folded.invalid.length },
        'skipped invalid events in an events job',
      );
    if (folded.overLimit.length)
      deps.log.warn(
        { jobId: job.id, refused: folded.overLimit.slice(0, 10), count: folded.overLimit.length },
        'refused events that would take their account over ACCOUNT_MAX_CONVERSATIONS or ACCOUNT_MAX_USER_FOLDERS',
      );
    const counts = {
      events: events.length,
      changed: folded.changed,
      duplicates: folded.duplicates,
      stale: folded.stale,
      invalid: folded.invalid.length,
      overLimit: folded.overLimit.length,
    };
    deps.observer.eventsFolded?.(counts);
    await noteReconcileCauses(deps.redis, deps.keys, folded.dirty);
    await enqueueReconcile(deps.reconcile, folded.dirty, deps.debounceMs, 'events');
    return counts;
  };
}
