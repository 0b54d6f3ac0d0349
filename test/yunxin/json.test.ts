import { describe, expect, it } from 'vitest';
import { parseJsonKeepingBigInts } from '../../src/yunxin/json.js';

describe('parseJsonKeepingBigInts', () => {
  it('keeps int64 values beyond 2^53 exact, as strings', () => {
    const parsed = parseJsonKeepingBigInts(
      '{"group_id":9223372036854775807,"ids":[9007199254740993,1],"t":1700000000000}',
    );
    expect(parsed).toEqual({
      group_id: '9223372036854775807',
      ids: ['9007199254740993', 1],
      t: 1700000000000,
    });
  });

  it('leaves strings, floats and safe integers alone', () => {
    const text =
      '{"msg":"id 12345678901234567890 \\" 99999999999999999","f":1.5e300,"n":-12,"s":9007199254740991}';
    expect(parseJsonKeepingBigInts(text)).toEqual(JSON.parse(text));
  });
});
