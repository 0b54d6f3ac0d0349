import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/schema.js';
import { createRedis, nodesOf, type RedisClient } from '../../src/jobs/connection.js';
import { openPartitioned, type PartitionedQueue } from '../../src/jobs/partitioned-queue.js';
import type { EventsJobData } from '../../src/jobs/publish.js';
import { QUEUES } from '../../src/jobs/queues.js';
import { createPublisher, PublishTimeoutError } from '../../src/publisher/index.js';
import { deploymentPatterns } from '../../src/redis/delete-prefix.js';
import { DEFAULT_PARTITIONS, keysFor } from '../../src/store/keys.js';
import { pinned } from '../support/events.js';
import { clusterNodes, deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

let url: string;
let prefix: string;
let connection: Redis;

beforeAll(() => {
  url = redisUrl();
});

beforeEach(async () => {
  prefix = uniquePrefix('publisher');
  connection = createRedis(url, 'producer', () => {});
  return async () => {
    await connection.quit();
    await deleteKeys(url, prefix);
  };
});

afterAll(async () => {
  if (prefix) await deleteKeys(url, prefix);
});

/** The ids of the events in the waiting jobs of the events queues, by account, read with BullMQ. */
async function queuedIds(
  redis: RedisClient,
  partitions = DEFAULT_PARTITIONS,
  deployment = prefix,
): Promise<Record<string, string[]>> {
  const queue: PartitionedQueue = openPartitioned(
    QUEUES.events,
    redis,
    keysFor(deployment, partitions),
    () => {},
  );
  try {
    const ids: Record<string, string[]> = {};
    for (const [partition, q] of queue.queues.entries()) {
      for (const job of await q.getJobs(['waiting'], 0, -1, true)) {
        for (const e of (job.data as EventsJobData).events) {
          // each account's events are in its own partition's queue
          expect(queue.keys.partOf(e.account).partition).toBe(partition);
          ids[e.account] = [...(ids[e.account] ?? []), e.id];
        }
      }
    }
    return ids;
  } finally {
    await queue.close();
  }
}

describe('createPublisher', () => {
  it('owns its connection; publishes to the events queues under the prefix', async () => {
    const publisher = createPublisher({ redisUrl: url, prefix });
    try {
      expect(await publisher.publish(pinned(1))).toEqual({ accepted: 1, refused: [] });
      const many = await publisher.publishMany([pinned(2), 'bad', pinned(3, 'bob')]);
      expect(many).toMatchObject({ accepted: 2, refused: [{ index: 1 }] });
    } finally {
      await publisher.close();
      await publisher.close(); // idempotent
    }
    expect(await queuedIds(connection)).toEqual({ alice: ['e-1', 'e-2'], bob: ['e-3'] });
    // counted on their way to be folded: a reconcile of the account waits for them
    const keys = keysFor(prefix, DEFAULT_PARTITIONS);
    expect(await connection.get(keys.pendingEvents('alice'))).toBe('2');
    expect(await connection.ttl(keys.pendingEvents('alice'))).toBeGreaterThan(0);
  });

  it('refuses what does not hold to the contract or its options, with the reasons', async () => {
    const keys = keysFor(prefix, DEFAULT_PARTITIONS);
    await connection.hset(keys.counts('full'), 'c', 2);
    const publisher = createPublisher({
      redisUrl: url,
      prefix,
      maxFutureMs: 3_600_000,
      limits: { maxInValues: 2, maxUserFolderRuleSize: 200 },
      accountLimits: { conversations: 2, userFolders: 50 },
    });
    const now = Date.now();
    try {
      const result = await publisher.publishMany([
        pinned(1),
        { ...pinned(2), type: 'conversation.pined' },
        null,
        { ...pinned(4), id: 17 },
        { ...pinned(5), extra: 1 },
        { ...pinned(6), at: now + 3 * 3_600_000 },
        {
          id: 'f-7',
          type: 'folder.upserted',
          account: 'alice',
          at: now,
          folder: { id: 'mine', name: 'Mine', rule: { attr: 'kind', in: ['a', 'b', 'c'] } },
        },
        pinned(8, 'full'),
      ]);
      expect(result.accepted).toBe(1);
      expect(result.refused).toEqual([
        {
          index: 1,
          id: 'e-2',
          errors: [expect.stringMatching(/^type: unknown event type "conversation.pined"; expected one of /)],
        },
        { index: 2, errors: ['(root): expected an event object, got null'] },
        { index: 3, errors: ['id: expected an event id (string), got a number'] },
        {
          index: 4,
          id: 'e-5',
          errors: [
            'extra: unknown key; a "conversation.pinned" event allows only id, type, account, at, conversation',
          ],
        },
        {
          index: 5,
          id: 'e-6',
          errors: [
            'at: 3 h ahead of the server clock; at most 1 h ahead is accepted (a fact from the future could never be undone)',
          ],
        },
        {
          index: 6,
          id: 'f-7',
          errors: ['folder.rule.in: 3 values; at most 2 are allowed (RULE_MAX_IN_VALUES)'],
        },
        {
          index: 7,
          id: 'e-8',
          errors: [
            'account: full has 2 live conversations; at most 2 are allowed (ACCOUNT_MAX_CONVERSATIONS)',
          ],
        },
      ]);
    } finally {
      await publisher.close();
    }
    expect(await queuedIds(connection)).toEqual({ alice: ['e-1'] });
  });

  it("routes by the deployment's partition count once a worker has written it, by its option before", async () => {
    const publisher = createPublisher({ redisUrl: url, prefix, partitions: 4 });
    try {
      await publisher.publish(pinned(1));
      expect(await queuedIds(connection, 4)).toEqual({ alice: ['e-1'] });
      await connection.set(
        keysFor(prefix, 1).deployment,
        JSON.stringify({ epoch: 'x', createdAt: 1, partitions: 8 }),
      );
      await publisher.publish(pinned(2, 'bob'));
      expect(await queuedIds(connection, 8)).toEqual({ bob: ['e-2'] });
    } finally {
      await publisher.close();
    }
  });

  it('rejects within its timeout when Redis is unreachable, and closes', async () => {
    const publisher = createPublisher({ redisUrl: 'redis://127.0.0.1:1', prefix, timeoutMs: 300 });
    try {
      await expect(publisher.publish(pinned(1))).rejects.toThrow(PublishTimeoutError);
      // invalid input never needs Redis
      expect(await publisher.publishMany(['bad'])).toMatchObject({ accepted: 0, refused: [{ index: 0 }] });
    } finally {
      await publisher.close();
    }
    await expect(publisher.publish(pinned(2))).rejects.toThrow('the publisher is closed');
  });

  it('publishes to a Redis Cluster: each account in its partition, on its master', async () => {
    const nodes = clusterNodes().split(',');
    const endpoint = { url: 'redis://127.0.0.1:6379', clusterNodes: nodes };
    const clusterPrefix = uniquePrefix('publisher-cluster');
    const cluster = createRedis(endpoint, 'producer', () => {});
    const publisher = createPublisher({ redisUrl: endpoint.url, clusterNodes: nodes, prefix: clusterPrefix });
    const accounts = Array.from({ length: 24 }, (_, i) => `cl-${i}`);
    try {
      const events = accounts.flatMap((account, i) => [pinned(2 * i, account), pinned(2 * i + 1, account)]);
      expect(await publisher.publishMany(events)).toEqual({ accepted: 48, refused: [] });
      expect(await queuedIds(cluster, DEFAULT_PARTITIONS, clusterPrefix)).toEqual(
        Object.fromEntries(accounts.map((account, i) => [account, [`e-${2 * i}`, `e-${2 * i + 1}`]])),
      );
      // the accounts' partitions are spread over every master, each holding its keys and jobs
      const keys = keysFor(clusterPrefix, DEFAULT_PARTITIONS);
      for (const a of accounts) expect(await cluster.get(keys.pendingEvents(a))).toBe('2');
      const perMaster = await Promise.all(
        nodesOf(cluster).map(async (node) => {
          let n = 0;
          for (const pattern of deploymentPatterns(clusterPrefix)) {
            n += (await node.scan('0', 'MATCH', pattern, 'COUNT', 10_000))[1].length;
          }
          return n;
        }),
      );
      expect(perMaster).toHaveLength(3);
      for (const n of perMaster) expect(n, `keys per master ${perMaster}`).toBeGreaterThan(0);
    } finally {
      await publisher.close();
      cluster.disconnect();
      await deleteKeys(endpoint, clusterPrefix);
    }
  });
});
