import type { ChainableCommander } from 'ioredis';
import type { AccountLimits } from '../events/limits.js';
import type { DomainEvent } from '../events/schema.js';
import { defaultValidation, type ValidationContext, validateEvent } from '../events/validate.js';
import { addStandardJobs, type QueueSpec, withAddStandardJob } from '../publisher/bullmq-jobs.js';
import { activeTraceCarrier } from '../publisher/trace-carrier.js';
import type { Keys, PartitionKeys } from '../store/keys.js';
import { findOverAccountLimits } from './account-limits.js';
import type { RedisClient } from './connection.js';
import {
  DEFAULT_JOB_OPTIONS,
  EVENTS_JOB_OPTIONS,
  EVENTS_PER_JOB,
  EVENTS_STREAM_MAX_LEN,
  JOB_NAMES,
  PENDING_EVENTS_TTL_SECONDS,
  QUEUES,
} from './queue-settings.js';

/** The data of a job named JOB_NAMES.events in the events queue. */
export interface EventsJobData {
  events: DomainEvent[];
}

export interface PublishResult {
  /** events added to the queue */
  accepted: number;
  /** `index` is the position in the input; `id` is there when the input had a string id */
  refused: Array<{ index: number; id?: string; errors: string[] }>;
}

/**
 * Where events are published: a deployment's keys and a connection to its Redis. The
 * service's events PartitionedQueue is one; the lean publisher makes its own.
 */
export interface EventsTarget {
  readonly keys: Keys;
  readonly connection: RedisClient;
}

/** The events queue of a partition, as `openQueue` opens it. */
export const eventsQueue = (part: PartitionKeys): QueueSpec => ({
  prefix: part.prefix,
  name: QUEUES.events,
  defaultJobOptions: DEFAULT_JOB_OPTIONS,
  eventsMaxLen: EVENTS_STREAM_MAX_LEN,
});

/**
 * Adds already-validated events to their accounts' partition queues, EVENTS_PER_JOB per job, in
 * one transaction per partition (one round trip each; Redis runs it whole, but a command that
 * fails in it does not undo the others). Returns the number of jobs added. Callers that hold
 * unvalidated input use `publishMany`.
 */
export async function enqueueEvents(target: EventsTarget, events: readonly DomainEvent[]): Promise<number> {
  const { keys, connection } = target;
  withAddStandardJob(connection);
  const byPartition = new Map<PartitionKeys, DomainEvent[]>();
  for (const e of events) {
    const part = keys.partOf(e.account);
    const list = byPartition.get(part);
    if (list) list.push(e);
    else byPartition.set(part, [e]);
  }
  let added = 0;
  const tm = await activeTraceCarrier();
  const opts = tm ? { ...EVENTS_JOB_OPTIONS, tm } : EVENTS_JOB_OPTIONS;
  await Promise.all(
    [...byPartition].map(async ([part, list]) => {
      const jobs = [];
      for (let start = 0; start < list.length; start += EVENTS_PER_JOB) {
        const data: EventsJobData = { events: list.slice(start, start + EVENTS_PER_JOB) };
        jobs.push({ name: JOB_NAMES.events, data });
      }
      const tx = connection.multi();
      countPendingEvents(tx, keys, list);
      addStandardJobs(tx, eventsQueue(part), jobs, opts);
      const results = await tx.exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      added += jobs.length;
    }),
  );
  return added;
}

/**
 * Counts each account's events on their way to be folded: a reconcile of the account waits
 * while its count is above zero (at most BACKLOG_WAIT_MS), so it never acts on half a burst.
 * Counted before the jobs are added, in their transaction, so a fold never finds nothing to
 * count down; a count a failed add leaves behind expires. Every account here is of one
 * partition.
 */
function countPendingEvents(tx: ChainableCommander, keys: Keys, events: readonly DomainEvent[]): void {
  const perAccount = new Map<string, number>();
  for (const e of events) perAccount.set(e.account, (perAccount.get(e.account) ?? 0) + 1);
  for (const [account, n] of perAccount) {
    tx.incrby(keys.pendingEvents(account), n).expire(keys.pendingEvents(account), PENDING_EVENTS_TTL_SECONDS);
  }
}

/**
 * Queues validated events (`index`: their place in the caller's input), except those that would
 * take their account over a limit, which come back with the reason.
 */
export async function queueValidated(
  target: EventsTarget,
  valid: ReadonlyArray<{ index: number; event: DomainEvent }>,
  accountLimits: AccountLimits | undefined,
): Promise<{ accepted: number; jobs: number; overLimit: Array<{ index: number; reason: string }> }> {
  const over = accountLimits
    ? await findOverAccountLimits(
        target.connection,
        target.keys,
        valid.map((v) => v.event),
        accountLimits,
      )
    : new Map<number, string>();
  const accepted = valid.filter((_, i) => !over.has(i)).map((v) => v.event);
  const jobs = await enqueueEvents(target, accepted);
  return {
    accepted: accepted.length,
    jobs,
    overLimit: [...over].map(([i, reason]) => ({ index: valid[i]!.index, reason })),
  };
}

/** What publishing checks besides the contract; the defaults when omitted. */
export interface PublishOptions {
  /** the clock and limits to validate against (default: now, 24 h ahead, the default limits) */
  validation?: ValidationContext;
  /** refuse events that would take their account over these (default: not checked here) */
  accountLimits?: AccountLimits;
}

/**
 * Validates each event against the public contract (and the account limits, when given) and
 * adds the valid ones to their partitions' events queues. Refused events never affect accepted
 * ones; nothing is added when none is valid. Rejects only when Redis does: then the events of
 * some partitions may have been added and others not, and publishing them all again is safe
 * (workers deduplicate by id).
 */
export async function publishMany(
  to: EventsTarget | (() => Promise<EventsTarget>),
  events: readonly unknown[],
  opts: PublishOptions = {},
): Promise<PublishResult> {
  const validation = opts.validation ?? defaultValidation();
  const valid: Array<{ index: number; event: DomainEvent }> = [];
  const refused: PublishResult['refused'] = [];
  const refuse = (index: number, errors: string[]) => {
    const id = stringId(events[index]);
    refused.push(id === undefined ? { index, errors } : { index, id, errors });
  };
  events.forEach((input, index) => {
    const result = validateEvent(input, validation);
    if (result.ok) valid.push({ index, event: result.event });
    else refuse(index, result.errors);
  });
  // input with nothing valid in it never needs Redis
  if (valid.length === 0) return { accepted: 0, refused };
  const target = typeof to === 'function' ? await to() : to;
  const { accepted, overLimit } = await queueValidated(target, valid, opts.accountLimits);
  for (const { index, reason } of overLimit) refuse(index, [reason]);
  return { accepted, refused: refused.sort((a, b) => a.index - b.index) };
}

/** `publishMany` of one event. */
export function publish(
  to: EventsTarget | (() => Promise<EventsTarget>),
  event: unknown,
  opts?: PublishOptions,
): Promise<PublishResult> {
  return publishMany(to, [event], opts);
}

function stringId(input: unknown): string | undefined {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    const id = Object.hasOwn(input, 'id') ? (input as { id: unknown }).id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
