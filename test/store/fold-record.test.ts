/**
 * The fold's record layout against a real Redis: one field per conversation, legacy register
 * fields (before 0.3) moved into the record when an event writes them, dirty marks and the
 * created-fields counter the incremental reconcile relies on.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultValidation } from '../../src/events/validate.js';
import { decodeRecord } from '../../src/facts/record.js';
import { buildViews } from '../../src/facts/views.js';
import { createRedis } from '../../src/jobs/connection.js';
import { DEFAULT_PARTITIONS, keysFor } from '../../src/store/keys.js';
import { withScripts } from '../../src/store/scripts.js';
import { foldEvents } from '../../src/workers/fold-events.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('fold');
const keys = keysFor(prefix, DEFAULT_PARTITIONS);
let redis: Redis;
beforeAll(() => {
  redis = withScripts(createRedis(redisUrl(), 'worker', () => {}));
});
afterAll(async () => {
  await deleteKeys(redisUrl(), prefix);
  redis.disconnect();
});

const AT = 1_700_000_000_000;
let seq = 0;
/** Events as the contract has them, ids made up (the fold validates them again). */
const fold = (...events: Array<Record<string, unknown>>) =>
  foldEvents(
    redis,
    keys,
    events.map((e) => ({ id: `e${++seq}`, ...e })),
    { validation: defaultValidation(AT + 1000), accountLimits: { conversations: 100, userFolders: 10 } },
  );
const conv = { type: 2, target: 't1' } as const;

describe('the fold writes one record per conversation', () => {
  it('keeps every register of a conversation in one field, newest writer winning', async () => {
    await fold(
      {
        type: 'conversation.upserted',
        account: 'a',
        at: AT,
        conversation: conv,
        attributes: { kind: 'project' },
      },
      { type: 'conversation.tagged', account: 'a', at: AT + 2, conversation: conv, tag: 'vip' },
      {
        type: 'conversation.upserted',
        account: 'a',
        at: AT + 1,
        conversation: conv,
        attributes: { kind: 'chat' },
      },
      { type: 'conversation.pinned', account: 'a', at: AT - 5, conversation: conv },
    );
    const facts = await redis.hgetall(keys.facts('a'));
    expect(Object.keys(facts)).toEqual(['2|t1']);
    expect(decodeRecord(facts['2|t1']!).corrupt).toBe(0);
    expect(buildViews(facts).facts.views).toEqual([
      { type: 2, target: 't1', attributes: { kind: 'chat', pinned: true, tags: ['vip'] } },
    ]);
    expect(await redis.hget(keys.dirty('a'), '2|t1')).toBe('4');
    expect(await redis.hmget(keys.counts('a'), 'c', 'n')).toEqual(['1', '1']);
  });

  it('moves a legacy register into the record when an event writes it, and merges the rest on read', async () => {
    await redis.hset(keys.facts('b'), {
      '2|t1|p': `${AT}|1|1`,
      '2|t1|a|kind': `${AT + 50}|1|"project"`,
      '2|t1|a|name': `${AT}|1|"Apollo"`,
    });
    await redis.hset(keys.counts('b'), 'c', 1);
    // older than the legacy kind: loses to it, and the legacy kind moves into the record
    await fold({
      type: 'conversation.upserted',
      account: 'b',
      at: AT + 10,
      conversation: conv,
      attributes: { kind: 'chat' },
    });
    const facts = await redis.hgetall(keys.facts('b'));
    expect(Object.keys(facts).sort()).toEqual(['2|t1', '2|t1|a|name']);
    const views = buildViews(facts);
    expect(views.legacy).toBe(1);
    expect(views.facts.views).toEqual([
      { type: 2, target: 't1', attributes: { kind: 'project', name: 'Apollo' } },
    ]);
    // the presence was live in its legacy field: not counted again
    expect(await redis.hget(keys.counts('b'), 'c')).toBe('1');
    // one record created, two legacy fields deleted
    expect(await redis.hget(keys.counts('b'), 'n')).toBe('-1');
  });

  it('marks nothing dirty for a stale event', async () => {
    await fold({ type: 'conversation.pinned', account: 'c', at: AT + 9, conversation: conv });
    await redis.del(keys.dirty('c'));
    const result = await fold({ type: 'conversation.unpinned', account: 'c', at: AT, conversation: conv });
    expect(result.stale).toBe(1);
    expect(await redis.exists(keys.dirty('c'))).toBe(0);
  });
});
