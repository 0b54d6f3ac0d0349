import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/schema.js';
import { createRedis } from '../../src/jobs/connection.js';
import { openPartitioned, type PartitionedQueue } from '../../src/jobs/partitioned-queue.js';
import { type EventsJobData, publish, publishMany } from '../../src/jobs/publish.js';
import { EVENTS_PER_JOB, JOB_NAMES, QUEUES } from '../../src/jobs/queues.js';
import { DEFAULT_PARTITIONS, keysFor } from '../../src/store/keys.js';
import { pinned } from '../support/events.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let url: string;
let prefix: string;
let connection: Redis;
let queue: PartitionedQueue;

beforeAll(() => {
  url = redisUrl();
});

beforeEach(async () => {
  prefix = uniquePrefix('publish');
  connection = createRedis(url, 'producer', () => {});
  queue = openPartitioned(QUEUES.events, connection, keysFor(prefix, DEFAULT_PARTITIONS), () => {});
  return async () => {
    await queue.close();
    await connection.quit();
    await deleteKeys(url, prefix);
  };
});

afterAll(async () => {
  if (prefix) await deleteKeys(url, prefix);
});

/** Every job in the events queues, oldest first within a partition, partitions in order. */
async function queuedJobs(): Promise<{ name: string; data: EventsJobData }[]> {
  const jobs = (await Promise.all(queue.queues.map((q) => q.getJobs(['waiting'], 0, -1, true)))).flat();
  return jobs.map((job) => ({ name: job.name, data: job.data as EventsJobData }));
}

describe('publishMany', () => {
  it('adds the valid events and reports the refused ones by index', async () => {
    const input: unknown[] = [
      pinned(1),
      { ...pinned(2), type: 'conversation.pined' },
      pinned(3),
      null,
      { ...pinned(5), conversation: { type: 9, target: 'x' } },
      { ...pinned(6), id: 17 },
      pinned(7, 'bob'),
    ];
    const result = await publishMany(queue, input);
    expect(result.accepted).toBe(3);
    expect(result.refused.map((r) => r.index)).toEqual([1, 3, 4, 5]);
    expect(result.refused[0]).toMatchObject({
      index: 1,
      id: 'e-2',
      errors: [expect.stringMatching(/^type: unknown event type "conversation.pined"; expected one of /)],
    });
    expect(result.refused[1]).toEqual({ index: 3, errors: ['(root): expected an event object, got null'] });
    expect(result.refused[2]).toEqual({
      index: 4,
      id: 'e-5',
      errors: [
        'conversation.type: expected a conversation type 1 (p2p), 2 (advanced team) or 3 (super team), got 9',
      ],
    });
    // no string id: no id in the report
    expect(result.refused[3]).toEqual({
      index: 5,
      errors: ['id: expected an event id (string), got a number'],
    });

    // each account's events go to its partition's queue, in order
    const byPartition = (account: string) => queue.of(account).getJobs(['waiting'], 0, -1, true);
    expect(queue.of('alice')).not.toBe(queue.of('bob'));
    expect((await byPartition('alice')).map((j) => j.data)).toEqual([{ events: [pinned(1), pinned(3)] }]);
    expect((await byPartition('bob')).map((j) => j.data)).toEqual([{ events: [pinned(7, 'bob')] }]);
    expect(await queuedJobs()).toHaveLength(2);
  });

  it(`chunks the valid events ${EVENTS_PER_JOB} per job, in input order`, async () => {
    const valid = Array.from({ length: 250 }, (_, i) => pinned(i));
    const input: unknown[] = [...valid];
    input.splice(120, 0, { nope: true }); // a refused one in the middle does not shift the chunks
    const result = await publishMany(queue, input);
    expect(result.accepted).toBe(250);
    expect(result.refused.map((r) => r.index)).toEqual([120]);

    const jobs = await queuedJobs();
    expect(jobs.map((j) => j.name)).toEqual([JOB_NAMES.events, JOB_NAMES.events, JOB_NAMES.events]);
    expect(jobs.map((j) => j.data.events.length)).toEqual([100, 100, 50]);
    expect(jobs.flatMap((j) => j.data.events)).toEqual(valid);
  });

  it('adds nothing for empty or all-invalid input', async () => {
    expect(await publishMany(queue, [])).toEqual({ accepted: 0, refused: [] });
    const result = await publishMany(queue, ['x', [], { type: 'account.resync' }]);
    expect(result.accepted).toBe(0);
    expect(result.refused.map((r) => r.index)).toEqual([0, 1, 2]);
    expect((await queue.getJobCounts('waiting'))['waiting']).toBe(0);
    expect(await queuedJobs()).toEqual([]);
  });

  it('publish is publishMany of one', async () => {
    expect(await publish(queue, pinned(1))).toEqual({ accepted: 1, refused: [] });
    expect(await publish(queue, { ...pinned(2), extra: 1 })).toEqual({
      accepted: 0,
      refused: [
        {
          index: 0,
          id: 'e-2',
          errors: [
            'extra: unknown key; a "conversation.pinned" event allows only id, type, account, at, conversation',
          ],
        },
      ],
    });
    expect(await queuedJobs()).toEqual([{ name: JOB_NAMES.events, data: { events: [pinned(1)] } }]);
  });

  it('stores the validated event, not the input object', async () => {
    const upsert = {
      id: 'u-1',
      type: 'conversation.upserted',
      account: 'alice',
      at: 1763700000000,
      conversation: { type: 2, target: 'team-42' },
      attributes: { kind: 'project', gone: null, labels: ['a', 'b'] },
    };
    await publishMany(queue, [upsert]);
    const [job] = await queuedJobs();
    expect(job?.data.events).toEqual([upsert]);
  });
});
