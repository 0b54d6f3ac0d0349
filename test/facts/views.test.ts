import { describe, expect, it } from 'vitest';
import { encodeRecord, packRecords, recordInPack } from '../../src/facts/record.js';
import { buildViews, buildViewsSteps } from '../../src/facts/views.js';

const reg = (payload: string, at = 1_700_000_000_000) => `${at}|1|${payload}`;

describe('buildViews', () => {
  it('reads attributes of every kind the contract allows, lists of strings included', () => {
    const { facts, corrupt } = buildViews({
      '2|t|p': reg('1'),
      '2|t|a|kind': reg('"project"'),
      '2|t|a|size': reg('3'),
      '2|t|a|labels': reg('["a","b"]'),
      '2|t|a|gone': reg('null'),
      '2|t|t|vip|gold': reg('1'),
    });
    expect(corrupt).toBe(0);
    expect(facts.views).toEqual([
      {
        type: 2,
        target: 't',
        attributes: { kind: 'project', size: 3, labels: ['a', 'b'], tags: ['vip|gold'] },
      },
    ]);
  });

  it('skips and counts what the fold never writes, and keeps the rest', () => {
    const { facts, corrupt } = buildViews({
      '2|t|p': reg('1'),
      '9|x|p': reg('1'), // no such conversation type
      '2|t|a|deep': reg('{"nested":true}'), // not an attribute value
      '2|t|a|tags': reg('"customer"'), // reserved: only tag registers make tags
      '2|t|a|bad': 'no register',
      '2|t|q': reg('1'), // unknown kind
      '2|t': reg('1'),
    });
    expect(corrupt).toBe(6);
    expect(facts.views).toEqual([{ type: 2, target: 't', attributes: {} }]);
  });

  it('reads records, merges a legacy field of the same register by stamp, and counts bad registers', () => {
    const at = 1_700_000_000_000;
    const record = encodeRecord([
      { name: 'p', at, tiebreak: 7, payload: '1' },
      { name: 'akind', at, tiebreak: 7, payload: '"chat"' },
      { name: 'tvip|gold', at: at + 1, tiebreak: 2, payload: '1' },
    ]);
    const { facts, corrupt, legacy } = buildViews({
      '2|t': `${record}\x1ebroken`,
      '2|t|a|kind': reg('"project"', at + 5), // newer than the record's: wins
      '2|t|a|size': reg('3', at - 5),
    });
    expect([corrupt, legacy]).toEqual([1, 2]);
    expect(facts.views).toEqual([
      { type: 2, target: 't', attributes: { kind: 'project', size: 3, tags: ['vip|gold'] } },
    ]);
    expect(facts.recency.get('2|t')).toBe(at + 5);
  });

  it('reads the pack, its dictionary, and a conversation in both the pack and a field', () => {
    const at = 1_700_000_000_000;
    const peer = encodeRecord([
      { name: 'p', at, tiebreak: 1, payload: '1' },
      { name: 'aname', at, tiebreak: 1, payload: '"Ann"' },
    ]);
    const team = encodeRecord([
      { name: 'p', at, tiebreak: 2, payload: '1' },
      { name: 'akind', at, tiebreak: 2, payload: '"chat"' },
      { name: 'aname', at, tiebreak: 2, payload: '"Apollo"' },
    ]);
    const pack = packRecords([
      ['1|ann', peer],
      ['2|t', team],
    ]);
    expect(pack.split('aname')).toHaveLength(2); // spelled once, in the dictionary
    expect(recordInPack(pack, '2|t')).toBe(team);
    expect(recordInPack(pack, '2|x')).toBeUndefined();
    const newer = encodeRecord([{ name: 'akind', at: at + 1, tiebreak: 0, payload: '"project"' }]);
    const { facts, corrupt } = buildViews({ '*': `${pack}\x1dno-separator`, '2|t': newer });
    expect(corrupt).toBe(1);
    expect(facts.views).toEqual(
      expect.arrayContaining([
        { type: 1, target: 'ann', attributes: { name: 'Ann' } },
        { type: 2, target: 't', attributes: { kind: 'project', name: 'Apollo' } },
      ]),
    );
  });

  it('yields along the way on a big account, with the same result', () => {
    const hash: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) hash[`1|u${i}|p`] = reg('1');
    const steps = buildViewsSteps(hash);
    let yields = 0;
    let step = steps.next();
    while (!step.done) {
      yields++;
      step = steps.next();
    }
    expect(yields).toBeGreaterThan(5);
    expect(step.value).toEqual(buildViews(hash));
  });
});
