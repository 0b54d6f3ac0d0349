import { type Job, Queue } from 'bullmq';
import type { DomainEvent } from '../events/schema.js';
import { defaultValidation, validateEvent } from '../events/validate.js';
import { type DeploymentRecord, parseDeployment } from '../fleet/sentinel.js';
import type { RedisClient } from '../jobs/connection.js';
import { openPartitioned } from '../jobs/partitioned-queue.js';
import { type EventsJobData, enqueueEvents } from '../jobs/publish.js';
import { QUEUES } from '../jobs/queues.js';
import { enqueueReconcile } from '../jobs/reconcile-jobs.js';
import type { Logger } from '../log.js';
import type { Keys } from './keys.js';

/** An account's keys in the single-slot layout (before 0.3), by the name they move to. */
const ACCOUNT_KEYS = [
  'facts',
  'folders',
  'ledger',
  'rejections',
  'retries',
  'status',
  'counts',
  'quarantine',
] as const;
/** Per-account hashes of the single-slot layout that move into the account's partition. */
const INDEX_HASHES = {
  'resync-requests': 'resyncRequests',
  parked: 'parked',
  'verify-requests': 'verifyRequests',
} as const;
const JOB_STATES = ['waiting', 'delayed', 'prioritized', 'active', 'failed'] as const;

export interface MigrationReport {
  accounts: number;
  keysMoved: number;
  eventsRequeued: number;
  /** false: the deployment already had the partitioned layout, or had nothing to move */
  migrated: boolean;
}

/** Workers of the single-slot layout still connected: the move would race with them. */
export class OldWorkersRunningError extends Error {
  override readonly name = 'OldWorkersRunningError';
}

/**
 * Moves a deployment of the single-slot layout (every key under QUEUE_PREFIX's one hash tag) to
 * the partitioned one, in place: each account's facts, ledger and bookkeeping to its partition,
 * the events still queued to the partition queues, a reconcile queued for every account, and
 * last the partition count into the deployment sentinel (same epoch: the moved ledgers stay
 * trusted). Resumable: a key already moved is not found again, and the sentinel is written only
 * at the end, so a run cut short is run again. The 24 h event-id markers are not moved (they do
 * not name their account): an event sent again is folded again, which changes nothing.
 */
export async function migrateLayout(redis: RedisClient, keys: Keys, log: Logger): Promise<MigrationReport> {
  const report: MigrationReport = { accounts: 0, keysMoved: 0, eventsRequeued: 0, migrated: false };
  const sentinel = parseDeployment(await redis.get(keys.deployment));
  if (sentinel?.partitions !== undefined) return report;
  if (!sentinel && (await redis.scard(keys.singleSlotAccounts)) === 0) return report; // nothing to move
  const old = (...parts: string[]) => [keys.prefix, ...parts].join(':');
  const oldQueues = [QUEUES.events, QUEUES.reconcile].map(
    (name) => new Queue(name, { connection: redis, prefix: keys.prefix }),
  );
  try {
    const workers = (await Promise.all(oldQueues.map((q) => q.getWorkers()))).flat();
    if (workers.length > 0)
      throw new OldWorkersRunningError(
        `${workers.length} worker connection(s) of the old layout are still open: stop every worker, then run this again`,
      );
    const accounts = await moveAccounts(redis, keys, old, report);
    report.eventsRequeued = await requeueEvents(oldQueues[0]!, redis, keys);
    const reconcile = openPartitioned(QUEUES.reconcile, redis, keys, () => {});
    try {
      for (let i = 0; i < accounts.length; i += 500)
        await enqueueReconcile(reconcile, accounts.slice(i, i + 500), 0, 'resync');
    } finally {
      await reconcile.close();
    }
    for (const q of oldQueues) await q.obliterate({ force: true });
    await redis.del(
      old('accounts'),
      old('verified'),
      old('resync'),
      ...Object.keys(INDEX_HASHES).map((h) => old(h)),
    );
    const record: DeploymentRecord = sentinel ?? { epoch: 'migrated', createdAt: Date.now() };
    await redis.set(keys.deployment, JSON.stringify({ ...record, partitions: keys.partitions }));
    report.migrated = true;
    log.info(report, `moved to ${keys.partitions} partitions`);
    return report;
  } finally {
    await Promise.all(oldQueues.map((q) => q.close()));
  }
}

/** Moves every account's keys and index entries; returns the accounts. */
async function moveAccounts(
  redis: RedisClient,
  keys: Keys,
  old: (...parts: string[]) => string,
  report: MigrationReport,
): Promise<string[]> {
  const accounts: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.sscan(old('accounts'), cursor, 'COUNT', 500);
    cursor = next;
    for (const account of batch) {
      report.keysMoved += await moveAccount(redis, keys, old, account);
      accounts.push(account);
    }
  } while (cursor !== '0');
  // a resync asked for before 0.2 (a set of accounts) is asked again in the new place
  for (const account of await redis.smembers(old('resync')))
    await redis.hincrby(keys.partOf(account).resyncRequests, account, 1);
  report.accounts = accounts.length;
  return accounts;
}

async function moveAccount(
  redis: RedisClient,
  keys: Keys,
  old: (...parts: string[]) => string,
  account: string,
): Promise<number> {
  let moved = 0;
  for (const name of ACCOUNT_KEYS) {
    const from = old(name, account);
    const dump = await redis.dumpBuffer(from);
    if (dump === null) continue;
    const ttl = await redis.pttl(from);
    await redis.restore(keys[name](account), ttl > 0 ? ttl : 0, dump, 'REPLACE');
    await redis.del(from);
    moved++;
  }
  const part = keys.partOf(account);
  await redis.sadd(part.accounts, account);
  for (const [hash, index] of Object.entries(INDEX_HASHES) as Array<
    [keyof typeof INDEX_HASHES, (typeof INDEX_HASHES)[keyof typeof INDEX_HASHES]]
  >) {
    const value = await redis.hget(old(hash), account);
    if (value !== null) await redis.hset(part[index], account, value);
  }
  const verifiedAt = await redis.zscore(old('verified'), account);
  await redis.zadd(part.verified, verifiedAt ?? '0', account);
  return moved;
}

/** Publishes the events of every unfinished job of the old events queue to the partition queues. */
async function requeueEvents(queue: Queue, redis: RedisClient, keys: Keys): Promise<number> {
  const events = openPartitioned(QUEUES.events, redis, keys, () => {});
  let requeued = 0;
  try {
    for (const state of JOB_STATES) {
      for (let start = 0; ; start += 100) {
        const jobs: Job<EventsJobData>[] = await queue.getJobs([state], start, start + 99, true);
        if (jobs.length === 0) break;
        const valid = jobs
          .flatMap((job) => (Array.isArray(job.data?.events) ? job.data.events : []))
          .flatMap((input) => {
            const result = validateEvent(input, defaultValidation());
            return result.ok ? [result.event as DomainEvent] : [];
          });
        await enqueueEvents(events, valid);
        requeued += valid.length;
      }
    }
  } finally {
    await events.close();
  }
  return requeued;
}
