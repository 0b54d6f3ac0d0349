/**
 * The fold's record layout against a real Redis: one record per conversation, in the pack or
 * in a field of its own, legacy register fields (before 0.3) moved into the record when an
 * event writes them, dirty marks and the created-fields counter the incremental reconcile
 * relies on.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultValidation } from '../../src/events/validate.js';
import {
  decodeRecord,
  PACK_FIELD,
  PACK_MAX_ENTRIES,
  recordInPack,
  unpackRecords,
} from '../../src/facts/record.js';
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
    expect(Object.keys(facts)).toEqual([PACK_FIELD]);
    const pack = unpackRecords(facts[PACK_FIELD]!);
    expect(pack.corrupt).toBe(0);
    expect(pack.entries.map(([c]) => c)).toEqual(['2|t1']);
    expect(decodeRecord(pack.entries[0]![1]).corrupt).toBe(0);
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
    expect(Object.keys(facts).sort()).toEqual([PACK_FIELD, '2|t1|a|name']);
    expect(recordInPack(facts[PACK_FIELD], '2|t1')).toContain('akind');
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

  it('packs the first conversations into one field; later ones get a field of their own', async () => {
    const n = PACK_MAX_ENTRIES + 3;
    await fold(
      ...Array.from({ length: n }, (_, i) => ({
        type: 'conversation.upserted',
        account: 'p',
        at: AT + i,
        conversation: { type: 1, target: `u${i}` },
        attributes: { name: `peer ${i}`, archived: i % 2 === 0 },
      })),
      {
        type: 'conversation.tagged',
        account: 'p',
        at: AT + n,
        conversation: { type: 1, target: 'u0' },
        tag: 'vip',
      },
      {
        type: 'conversation.tagged',
        account: 'p',
        at: AT + n,
        conversation: { type: 1, target: `u${n - 1}` },
        tag: 'vip',
      },
    );
    const facts = await redis.hgetall(keys.facts('p'));
    expect(Object.keys(facts).sort()).toEqual(
      [PACK_FIELD, `1|u${n - 3}`, `1|u${n - 2}`, `1|u${n - 1}`].sort(),
    );
    expect(unpackRecords(facts[PACK_FIELD]!).entries).toHaveLength(PACK_MAX_ENTRIES);
    // register names are written once, in the pack's dictionary
    expect(facts[PACK_FIELD]!.split('aname')).toHaveLength(2);
    const views = buildViews(facts);
    expect(views.corrupt).toBe(0);
    expect(views.facts.views).toHaveLength(n);
    const view = (target: string) => views.facts.views.find((v) => v.target === target);
    expect(view('u0')).toEqual({
      type: 1,
      target: 'u0',
      attributes: { name: 'peer 0', archived: true, tags: ['vip'] },
    });
    expect(view(`u${n - 1}`)).toEqual({
      type: 1,
      target: `u${n - 1}`,
      attributes: { name: `peer ${n - 1}`, archived: (n - 1) % 2 === 0, tags: ['vip'] },
    });
    // the created-fields counter counts the pack once and each own field
    expect(await redis.hget(keys.counts('p'), 'n')).toBe('4');
    expect(await redis.hget(keys.counts('p'), 'c')).toBe(String(n));
  });

  it("gives a conversation whose target holds the pack's separators a field of its own", async () => {
    const odd = { type: 2, target: 'a\x1dx\x1cb' };
    await fold(
      {
        type: 'conversation.upserted',
        account: 'sep',
        at: AT,
        conversation: conv,
        attributes: { kind: 'chat' },
      },
      {
        type: 'conversation.upserted',
        account: 'sep',
        at: AT,
        conversation: odd,
        attributes: { kind: 'project' },
      },
    );
    const facts = await redis.hgetall(keys.facts('sep'));
    expect(Object.keys(facts).sort()).toEqual([PACK_FIELD, `2|${odd.target}`].sort());
    expect(unpackRecords(facts[PACK_FIELD]!).entries.map(([c]) => c)).toEqual(['2|t1']);
    const views = buildViews(facts);
    expect(views.corrupt).toBe(0);
    expect(views.facts.views).toEqual(
      expect.arrayContaining([
        { type: 2, target: 't1', attributes: { kind: 'chat' } },
        { type: 2, target: odd.target, attributes: { kind: 'project' } },
      ]),
    );
  });

  it('marks nothing dirty for a stale event', async () => {
    await fold({ type: 'conversation.pinned', account: 'c', at: AT + 9, conversation: conv });
    await redis.del(keys.dirty('c'));
    const result = await fold({ type: 'conversation.unpinned', account: 'c', at: AT, conversation: conv });
    expect(result.stale).toBe(1);
    expect(await redis.exists(keys.dirty('c'))).toBe(0);
  });
});
