import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/publisher/index.js';
import { conversationIdsOf } from '../../src/simulators/yunxin/existing-conversations.js';
import type { WorkerObserver } from '../../src/workers/observer.js';
import { type Engine, ev, p2p, startEngine, team } from '../support/engine.js';

type Folded = Parameters<NonNullable<WorkerObserver['eventsFolded']>>[0];

describe('the engine folds what the lean publisher adds', () => {
  let e: Engine;
  const folded: Folded[] = [];
  const total = (key: keyof Folded) => folded.reduce((sum, r) => sum + r[key], 0);
  beforeAll(async () => {
    e = await startEngine({ observer: { eventsFolded: (r) => folded.push(r) } });
  });
  afterAll(() => e?.close());

  it('into the rules’ groups; the same events published again are duplicates', async () => {
    const publisher = createPublisher({ redisUrl: e.config.REDIS_URL, prefix: e.config.QUEUE_PREFIX });
    const events = [
      ev('conversation.upserted', 'lean', { ...team('p1'), attributes: { kind: 'project' } }),
      ev('conversation.pinned', 'lean', team('p1')),
      ev('conversation.tagged', 'lean', { ...team('c1'), tag: 'customer' }),
      ev('conversation.upserted', 'lean', { ...p2p('bob'), attributes: {} }),
    ];
    e.sim.state.seedConversations(conversationIdsOf(events));
    try {
      expect(await publisher.publishMany(events)).toEqual({ accepted: 4, refused: [] });
      const groups = { Projects: ['2|p1'], Customers: ['2|c1'], 'Direct messages': ['1|bob'] };
      await e.eventually(() => expect(e.groups('lean')).toEqual(groups));
      await e.idle();
      expect(total('changed')).toBe(4);

      expect(await publisher.publishMany(events)).toEqual({ accepted: 4, refused: [] });
      await e.eventually(() => expect(total('duplicates')).toBe(4));
      await e.idle();
      expect(total('changed')).toBe(4);
      expect(e.groups('lean')).toEqual(groups);
    } finally {
      await publisher.close();
    }
  });
});
