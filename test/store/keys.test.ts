/** The partitioned key layout: where an account lives, and what every process must agree on. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { deploymentPatterns } from '../../src/redis/delete-prefix.js';
import {
  allPrefixes,
  keysFor,
  partitionOf,
  partitionOfPrefix,
  partitionPrefix,
} from '../../src/store/keys.js';
import { slotOf } from '../../src/store/slots.js';
import { clusterNodes } from '../support/redis.js';

/** Redis Cluster's hash tag: the text between the first "{" and the next "}", when not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('partitions', () => {
  it('hash an account by the first 32 bits of SHA-1 of its name, as any producer can', () => {
    for (const account of ['alice', 'bob', '用户-7', 'a'.repeat(200)]) {
      const expected = Number.parseInt(createHash('sha1').update(account).digest('hex').slice(0, 8), 16) % 16;
      expect(partitionOf(account, 16)).toBe(expected);
    }
    expect([partitionOf('alice', 16), partitionOf('bob', 16)]).toEqual([10, 13]);
  });

  it('spread accounts evenly', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(`acct-${i}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });

  it('give each partition a hash tag of its own, apart from the app-wide one', () => {
    expect(partitionPrefix('{folder-sync}', 0, 1)).toBe('{folder-sync:p0}');
    expect(partitionPrefix('app{fs}x', 0, 1)).toBe('app{fs:p0}x');
    expect(partitionPrefix('fs', 0, 1)).toBe('fs:{p0}');
    expect(partitionPrefix('{folder-sync}', 3, 16)).toMatch(/^\{folder-sync:p3(\.\d+)?\}$/);
    expect(() => partitionPrefix('{fs}', 16, 16)).toThrow(RangeError);
    const tags = allPrefixes('{folder-sync}', 16).map(hashTag);
    expect(new Set(tags).size).toBe(17);
    for (let p = 0; p < 16; p++) expect(partitionOfPrefix(partitionPrefix('{folder-sync}', p, 16))).toBe(p);
    expect(partitionOfPrefix('{folder-sync}')).toBeUndefined();
    expect(partitionOfPrefix(partitionPrefix('fs', 12, 16))).toBe(12);
  });

  it('spread over the slot space in equal slices, so cluster masters hold equal shares', async () => {
    for (const n of [3, 16, 100]) {
      const slots = allPrefixes('{folder-sync}', n)
        .slice(1)
        .map((prefix) => slotOf(prefix));
      slots.forEach((slot, p) => {
        expect(slot).toBeGreaterThanOrEqual(Math.floor((p * 16_384) / n));
        expect(slot).toBeLessThan(Math.floor(((p + 1) * 16_384) / n));
      });
    }
    // the slot map is Redis Cluster's own (CLUSTER KEYSLOT on the run's cluster)
    const cluster = new Cluster(
      clusterNodes()
        .split(',')
        .map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
    );
    try {
      for (const key of [
        ...allPrefixes('{folder-sync}', 16),
        'plain',
        'a{}b',
        '用户{x}',
        '{folder-sync:p3.41}:facts:a',
      ])
        expect(slotOf(key), key).toBe(await cluster.cluster('KEYSLOT', key));
    } finally {
      cluster.disconnect();
    }
  });

  it("keep every key of one account, and its partition's indexes, under one hash tag", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        (account, n) => {
          const keys = keysFor('{folder-sync}', n);
          const part = keys.partOf(account);
          const tag = hashTag(part.accounts);
          const accountKeys = [
            keys.seen(account, 'e-1'),
            keys.facts(account),
            keys.folders(account),
            keys.ledger(account),
            keys.rejections(account),
            keys.retries(account),
            keys.status(account),
            keys.lease(account),
            keys.counts(account),
            keys.pendingEvents(account),
            keys.quarantine(account),
            part.resyncRequests,
            part.parked,
            part.verifyRequests,
            part.verified,
          ];
          for (const key of accountKeys) expect(hashTag(key)).toBe(tag);
          expect(hashTag(keys.rules)).toBe('folder-sync');
          expect(hashTag(keys.callSlot)).toBe(hashTag(keys.callPause));
          expect(tag).not.toBe('folder-sync');
        },
      ),
    );
  });

  it('refuse a partition count out of range', () => {
    expect(() => keysFor('{fs}', 0)).toThrow(RangeError);
    expect(() => keysFor('{fs}', 1.5)).toThrow(RangeError);
    expect(() => keysFor('{fs}', 1025)).toThrow(RangeError);
  });

  it('cleanup patterns match the app-wide and every partition prefix, not a neighbour', () => {
    const [app, parts] = deploymentPatterns('{fs}');
    expect([app, parts]).toEqual(['{fs}*', '{fs:p*']);
    expect(deploymentPatterns('fs')).toEqual(['fs*', 'fs:{p*']);
    expect(deploymentPatterns('{a*b}')[0]).toBe('{a\\*b}*');
  });
});
