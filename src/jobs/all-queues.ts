import type { Queue } from 'bullmq';
import type { ErrorSink } from '../redis/errors.js';
import type { Keys } from '../store/keys.js';
import type { RedisClient } from './connection.js';
import { openPartitioned } from './partitioned-queue.js';
import { QUEUES } from './queue-settings.js';
import { openQueue } from './queues.js';

/** Every queue of the product, for the dashboard and the queue-depth metrics. */
export function openAllQueues(connection: RedisClient, keys: Keys, onError: ErrorSink) {
  return {
    events: openPartitioned(QUEUES.events, connection, keys, onError),
    reconcile: openPartitioned(QUEUES.reconcile, connection, keys, onError),
    maintenance: openQueue(QUEUES.maintenance, connection, keys.prefix, onError),
  };
}
export type AllQueues = ReturnType<typeof openAllQueues>;

/** The BullMQ queues behind AllQueues, each partition's apart. */
export const flatQueues = (all: AllQueues): Queue[] => [
  ...all.events.queues,
  ...all.reconcile.queues,
  all.maintenance,
];

export async function closeAllQueues(all: AllQueues): Promise<void> {
  await Promise.all([all.events.close(), all.reconcile.close(), all.maintenance.close()]);
}
