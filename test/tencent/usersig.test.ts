import { createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkUserSig, decodeUserSig, genUserSig, UserSigCache } from '../../src/tencent/usersig.js';

/**
 * Known answers made by independent implementations, with a frozen clock:
 *
 * NODE — the official npm package tls-sig-api-v2@1.0.2 (tencentyun/tls-sig-api-v2-node),
 * installed outside this repository (`npm install tls-sig-api-v2@1.0.2` in /tmp/sig) and run as
 *   const { Api } = require('tls-sig-api-v2');
 *   Date.now = () => nowMs;                       // genSig reads the clock itself
 *   new Api(sdkappid, key).genUserSig(user, expire);
 * Same zlib as ours (Node's), so the signature must match byte for byte.
 *
 * PYTHON — a 10-line script with hmac/hashlib/zlib/base64/json (CPython's zlib 1.2.13):
 *   t = now // 1000
 *   content = f"TLS.identifier:{user}\nTLS.sdkappid:{sdkappid}\nTLS.time:{t}\nTLS.expire:{expire}\n"
 *   sig = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()).decode()
 *   doc = json.dumps({"TLS.ver":"2.0","TLS.identifier":user,"TLS.sdkappid":sdkappid,
 *                     "TLS.time":t,"TLS.expire":expire,"TLS.sig":sig}, separators=(',',':'))
 *   base64.b64encode(zlib.compress(doc.encode())).decode()  then + → *, / → -, = → _
 * A different zlib build compresses the same bytes differently, so this vector is compared
 * after inflating: the signed document must be identical.
 */
const VECTORS = [
  {
    sdkappid: 1400000000,
    key: '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e',
    identifier: 'administrator',
    expireSeconds: 15552000,
    nowMs: 1763700000123,
    node: 'eJxNyssKwjAUBNB-uWvpS2NDwE3pzkrBFqrLYKJcQtpwE4sP-HexFnF2c2ae0FZNNGoCAVmUwGLqqHQf8IwTS2WxRx9IhoHmg1dGOocKRLpK5nyXgFaDSPP1Mv9TfXNIH2eMZT-1eAEBp11JsT4yimmoO*6kbA-VWDePu*1caeQVWWG2e15kfAOvN0xMNPk_',
    python:
      'eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNBYqamxmbI4mmVhRkFoHETU1NjeCixZnpQPOTfV2K9FMjTYv0i-L9wy0KEhNDInzK-IOrKnPDC1yyE0szTZ2yvYMsnIwsbJVqAUxMNPk_',
  },
  {
    sdkappid: 1400123456,
    key: 'demo-secret-key',
    identifier: 'admin_01',
    expireSeconds: 86400,
    nowMs: 1700000000000,
    node: 'eJw1ycEKgkAUheF3udtC7ug4ykCbIGhAZ6FuWoUwo97KyVRKit49UDu78-0fKJLce9oeJPgewnb*ZKwbqaKZS9OSOyNb22CuZdeRAck4IvMDHoqljNRakCzCdYvaqaPegowF-9NANUgY0uRYi9u*yEzQ6CBUFycUr4Sesgjj9KV0mD9O781dH3bw-QEDXjCJ',
    python:
      'eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl58QaGULnilOzEgoLMFCUrQxMDA0MjYxNTM4hMSWZuKlDU3AAKIKKpFQWZRUBxCzMTmFBxZjrQ3GJfH490sxynkKAU4ww-Y1PPrDwzT5M0M7*KIHMDC99yTz-T4MLIKu18P1dbpVoAA14wiQ__',
  },
];

const inflate = (sig: string) =>
  inflateSync(
    Buffer.from(sig.replaceAll('*', '+').replaceAll('-', '/').replaceAll('_', '='), 'base64'),
  ).toString();

describe('UserSig v2', () => {
  it.each(VECTORS)('matches the official Node library byte for byte ($identifier)', (v) => {
    expect(genUserSig(v)).toBe(v.node);
  });

  it.each(VECTORS)('signs the same document as the independent Python script ($identifier)', (v) => {
    expect(inflate(genUserSig(v))).toBe(inflate(v.python));
  });

  it('decodes to the documented JSON, in key order, whose HMAC we can recompute', () => {
    const v = VECTORS[0]!;
    const sig = genUserSig(v);
    expect(sig).toMatch(/^[A-Za-z0-9*\-_]+$/); // URL-safe: no + / =
    const text = inflate(sig);
    expect(Object.keys(JSON.parse(text))).toEqual([
      'TLS.ver',
      'TLS.identifier',
      'TLS.sdkappid',
      'TLS.time',
      'TLS.expire',
      'TLS.sig',
    ]);
    const doc = decodeUserSig(sig)!;
    expect(doc).toMatchObject({
      'TLS.ver': '2.0',
      'TLS.identifier': 'administrator',
      'TLS.sdkappid': 1400000000,
      'TLS.time': 1763700000,
      'TLS.expire': 15552000,
    });
    const toSign =
      'TLS.identifier:administrator\nTLS.sdkappid:1400000000\nTLS.time:1763700000\nTLS.expire:15552000\n';
    expect(doc['TLS.sig']).toBe(createHmac('sha256', v.key).update(toSign).digest('base64'));
  });

  it('checkUserSig names what is wrong with a signature', () => {
    const v = VECTORS[0]!;
    const sig = genUserSig(v);
    const expected = { sdkappid: v.sdkappid, key: v.key, identifier: v.identifier };
    expect(checkUserSig(sig, expected, v.nowMs + 1000)).toBeUndefined();
    expect(checkUserSig(sig, { ...expected, key: 'other' }, v.nowMs)).toBe('bad_signature');
    expect(checkUserSig(sig, { ...expected, identifier: 'someone' }, v.nowMs)).toBe('identifier_mismatch');
    expect(checkUserSig(sig, { ...expected, sdkappid: 1 }, v.nowMs)).toBe('sdkappid_mismatch');
    expect(checkUserSig(sig, expected, (1763700000 + 15552000) * 1000)).toBe('expired');
    expect(checkUserSig('not-a-signature', expected, v.nowMs)).toBe('malformed');
  });

  it('is cached until less than a day of its 180 days is left, then made again', () => {
    let now = 1_763_700_000_000;
    const cache = new UserSigCache(
      {
        sdkappid: 1400000000,
        identifier: 'administrator',
        validitySeconds: 180 * 86_400,
        renewBeforeSeconds: 86_400,
        now: () => now,
      },
      'k',
    );
    const first = cache.get();
    now += 100 * 86_400_000;
    expect(cache.get()).toBe(first);
    now += 79 * 86_400_000 - 1000; // 1 day + 1 s left
    expect(cache.get()).toBe(first);
    now += 2000; // less than a day left
    const second = cache.get();
    expect(second).not.toBe(first);
    expect(decodeUserSig(second)?.['TLS.time']).toBe(Math.floor(now / 1000));
  });
});
