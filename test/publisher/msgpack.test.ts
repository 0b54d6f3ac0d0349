import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_OPTIONS, EVENTS_JOB_OPTIONS } from '../../src/jobs/queue-settings.js';
import { type Packable, packMsgpack } from '../../src/publisher/msgpack.js';

/** BullMQ's encoder (bullmq/dist/esm/classes/redis-queue-backend.js). */
const bullmq = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const expectSameBytes = (value: Packable) =>
  expect(packMsgpack(value).toString('hex')).toBe(Buffer.from(bullmq.pack(value)).toString('hex'));

describe('packMsgpack writes what msgpackr writes for BullMQ', () => {
  it('for the arguments and options of an events job', () => {
    const prefix = '{folder-sync:p3}:events:';
    expectSameBytes([prefix, '', 'events', Date.now(), null, null, undefined, undefined, null, null]);
    expectSameBytes({ ...DEFAULT_JOB_OPTIONS, ...EVENTS_JOB_OPTIONS });
  });

  it('at every size boundary of its formats', () => {
    const lengths = [0, 15, 16, 31, 32, 255, 256, 65_535, 65_536];
    const numbers = [
      ...[0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER],
      ...[-1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), -(2 ** 31) - 1],
      ...[-0, 0.5, -1e-300, Number.NaN, Number.POSITIVE_INFINITY],
    ];
    for (const n of numbers) expectSameBytes(n);
    for (const n of lengths) {
      expectSameBytes('x'.repeat(n));
      expectSameBytes('é'.repeat(n)); // two UTF-8 bytes each: the header counts bytes
      expectSameBytes(Array.from({ length: n }, () => 1));
    }
    expectSameBytes(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])));
    expectSameBytes(['😀 日本', true, false, null, undefined, {}, []]);
  });

  it('for any JSON-like value with well-formed strings', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const { value } = fc.letrec<{ value: Packable }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, undefined, true, false),
        fc.integer(),
        fc.maxSafeInteger(),
        fc.double(),
        text,
        fc.array(tie('value'), { maxLength: 20 }),
        fc.dictionary(text, tie('value'), { maxKeys: 20 }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expectSameBytes(v);
      }),
      { numRuns: 2_000 },
    );
  });
});
