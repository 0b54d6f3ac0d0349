import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventsJobData } from '../jobs/publish.js';
import { enqueueReconcile } from '../jobs/reconcile-jobs.js';
import type { Logger } from '../log.js';
import type { EngineObserver } from '../reconcile/observer.js';
import type { Keys } from '../store/keys.js';
import { foldEvents } from './fold-events.js';

export interface EventsProcessorDeps {
  redis: Redis;
  keys: Keys;
  reconcile: Queue;
  debounceMs: number;
  log: Logger;
  observer: EngineObserver;
}

/** Folds a batch of events into facts and queues a reconcile for every account it touched. */
export function eventsProcessor(deps: EventsProcessorDeps) {
  return async (job: Job<EventsJobData>) => {
    const events = Array.isArray(job.data?.events) ? job.data.events : [];
    const folded = await foldEvents(deps.redis, deps.keys, events);
    if (folded.invalid)
      deps.log.warn({ jobId: job.id, invalid: folded.invalid }, 'skipped malformed events in an events job');
    const counts = {
      events: events.length,
      changed: folded.changed,
      duplicates: folded.duplicates,
      stale: folded.stale,
      invalid: folded.invalid,
    };
    deps.observer.eventsFolded?.(counts);
    await enqueueReconcile(deps.reconcile, folded.dirty, deps.debounceMs, 'events');
    return counts;
  };
}
