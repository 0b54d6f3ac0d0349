/**
 * The lean publisher adds jobs without BullMQ; these tests hold it to what BullMQ's
 * `Queue.addBulk` does: the same script arguments byte for byte, the same Redis state, and a
 * real BullMQ Worker receiving the same jobs.
 */
import { type Job, RedisQueueBackend, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { unpack } from 'msgpackr';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DomainEvent } from '../../src/events/schema.js';
import { createRedis } from '../../src/jobs/connection.js';
import { type EventsJobData, eventsQueue } from '../../src/jobs/publish.js';
import {
  DEFAULT_JOB_OPTIONS,
  EVENTS_JOB_OPTIONS,
  JOB_NAMES,
  openQueue,
  QUEUES,
  RETRY_BACKOFF,
} from '../../src/jobs/queues.js';
import { addStandardJobArgs } from '../../src/publisher/bullmq-jobs.js';
import { createPublisher } from '../../src/publisher/index.js';
import { keysFor } from '../../src/store/keys.js';
import { pinned } from '../support/events.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

/** An argument as a comparable string: a Buffer as its bytes in hex. */
const hex = (arg: string | Buffer) => (typeof arg === 'string' ? arg : `0x${arg.toString('hex')}`);

let url: string;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(() => {
  url = redisUrl();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

/** A connection of the test's, closed after it. */
function connect(role: 'producer' | 'worker' = 'producer'): Redis {
  const redis = createRedis(url, role, () => {});
  cleanups.push(() => redis.quit());
  return redis;
}

/** A deployment of the test's own: alice's partition of it, deleted after the test. */
function deployment() {
  const prefix = uniquePrefix('bullmq-jobs');
  cleanups.push(() => deleteKeys(url, prefix));
  return { prefix, part: keysFor(prefix, 16).partOf('alice') };
}

/** Adds `data` to alice's events queue the way the service did: Queue.addBulk. */
async function addWithBullmq(partPrefix: string, data: EventsJobData): Promise<void> {
  const queue = openQueue(QUEUES.events, connect(), partPrefix, () => {});
  try {
    await queue.addBulk([{ name: JOB_NAMES.events, data, opts: EVENTS_JOB_OPTIONS }]);
  } finally {
    await queue.close();
  }
}

/** Publishes the events with the lean publisher. */
async function addLean(prefix: string, events: DomainEvent[]): Promise<void> {
  const publisher = createPublisher({ redisUrl: url, prefix });
  try {
    expect(await publisher.publishMany(events)).toEqual({ accepted: events.length, refused: [] });
  } finally {
    await publisher.close();
  }
}

describe('jobs the lean publisher adds are BullMQ jobs', () => {
  it("sends BullMQ's addStandardJob the keys and arguments Queue.addBulk sends, byte for byte", async () => {
    const { part } = deployment();
    // what BullMQ hands its script (a protected method of its Redis backend)
    const backend = RedisQueueBackend.prototype as unknown as {
      addStandardJobArgs(...args: unknown[]): Array<string | Buffer>;
    };
    const original = backend.addStandardJobArgs;
    const sent: Array<Array<string | Buffer>> = [];
    vi.spyOn(backend, 'addStandardJobArgs').mockImplementation(function (this: unknown, ...args) {
      const list = original.apply(this, args);
      sent.push(list);
      return list;
    });
    const data: EventsJobData = { events: [pinned(1), pinned(2)] };
    await addWithBullmq(part.prefix, data);

    expect(sent).toHaveLength(1);
    const theirs = sent[0]!;
    const timestamp = (unpack(theirs[9] as Buffer) as unknown[])[3] as number;
    const job = { name: JOB_NAMES.events, data };
    const ours = addStandardJobArgs(eventsQueue(part), job, EVENTS_JOB_OPTIONS, timestamp);
    expect(ours.map(hex)).toEqual(theirs.map(hex));
  });

  it('leaves Redis as Queue.addBulk does, and a BullMQ Worker receives the same job', async () => {
    const events = [pinned(1), pinned(2)];
    const bullmq = deployment();
    const lean = deployment();
    await addWithBullmq(bullmq.part.prefix, { events });
    await addLean(lean.prefix, events);

    const redis = connect();
    const stored = async (partPrefix: string) => {
      const key = (type: string) => `${partPrefix}:${QUEUES.events}:${type}`;
      const { timestamp, ...job } = await redis.hgetall(key('1'));
      expect(Date.now() - Number(timestamp)).toBeLessThan(60_000);
      return {
        job,
        meta: await redis.hgetall(key('meta')),
        id: await redis.get(key('id')),
        wait: await redis.lrange(key('wait'), 0, -1),
        marker: await redis.zrange(key('marker'), '0', '-1', 'WITHSCORES'),
        // the stream entries without their ids (times)
        events: (await redis.xrange(key('events'), '-', '+')).map(([, fields]) => fields),
      };
    };
    const expected = await stored(bullmq.part.prefix);
    expect(expected.job['data']).toBe(JSON.stringify({ events }));
    expect(await stored(lean.part.prefix)).toEqual(expected);

    const received = async (partPrefix: string) => {
      const jobs: Job<EventsJobData>[] = [];
      const worker = new Worker<EventsJobData>(QUEUES.events, async (job) => void jobs.push(job), {
        connection: connect('worker'),
        prefix: partPrefix,
      });
      try {
        await vi.waitFor(() => expect(jobs).toHaveLength(1), { timeout: 10_000 });
      } finally {
        await worker.close();
      }
      const [job] = jobs;
      // finished as its options say: kept among the completed (removeOnComplete keeps 1,000)
      expect(await redis.zrange(`${partPrefix}:${QUEUES.events}:completed`, '0', '-1')).toEqual([job!.id]);
      return { id: job!.id, name: job!.name, data: job!.data, opts: job!.opts };
    };
    const fromBullmq = await received(bullmq.part.prefix);
    expect(fromBullmq).toEqual({
      id: '1',
      name: JOB_NAMES.events,
      data: { events },
      opts: {
        attempts: 25,
        backoff: { type: RETRY_BACKOFF },
        removeOnComplete: DEFAULT_JOB_OPTIONS.removeOnComplete,
        removeOnFail: false,
      },
    });
    expect(await received(lean.part.prefix)).toEqual(fromBullmq);
  });
});
