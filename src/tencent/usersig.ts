import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

/**
 * UserSig v2, as the official tls-sig-api-v2 libraries make it (provider-apis.md §B5):
 * HMAC-SHA256 over the string to sign, a JSON document in a fixed key order, zlib deflate,
 * base64 with `+`→`*`, `/`→`-`, `=`→`_`.
 */
export interface UserSigDoc {
  'TLS.ver': string;
  'TLS.identifier': string;
  'TLS.sdkappid': number;
  /** issued at, Unix seconds */
  'TLS.time': number;
  /** validity in seconds from TLS.time */
  'TLS.expire': number;
  'TLS.sig': string;
}

function hmacBase64(key: string, identifier: string, sdkappid: number, time: number, expire: number) {
  const toSign =
    `TLS.identifier:${identifier}\n` +
    `TLS.sdkappid:${sdkappid}\n` +
    `TLS.time:${time}\n` +
    `TLS.expire:${expire}\n`;
  return createHmac('sha256', key).update(toSign).digest('base64');
}

export function genUserSig(input: {
  sdkappid: number;
  key: string;
  identifier: string;
  expireSeconds: number;
  nowMs: number;
}): string {
  const time = Math.floor(input.nowMs / 1000);
  // Key order matters: the document is compared byte for byte with the official libraries'.
  const doc: UserSigDoc = {
    'TLS.ver': '2.0',
    'TLS.identifier': input.identifier,
    'TLS.sdkappid': input.sdkappid,
    'TLS.time': time,
    'TLS.expire': input.expireSeconds,
    'TLS.sig': hmacBase64(input.key, input.identifier, input.sdkappid, time, input.expireSeconds),
  };
  const base64 = deflateSync(Buffer.from(JSON.stringify(doc))).toString('base64');
  return base64.replaceAll('+', '*').replaceAll('/', '-').replaceAll('=', '_');
}

/** The document inside a UserSig; undefined when it is not one. */
export function decodeUserSig(userSig: string): UserSigDoc | undefined {
  try {
    const base64 = userSig.replaceAll('*', '+').replaceAll('-', '/').replaceAll('_', '=');
    const doc = JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8')) as UserSigDoc;
    const ok =
      typeof doc['TLS.identifier'] === 'string' &&
      typeof doc['TLS.sdkappid'] === 'number' &&
      typeof doc['TLS.time'] === 'number' &&
      typeof doc['TLS.expire'] === 'number' &&
      typeof doc['TLS.sig'] === 'string';
    return ok ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Why a UserSig is refused, in the terms of Tencent's 700xx codes (the simulator maps them). */
export type UserSigProblem =
  | 'malformed'
  | 'expired'
  | 'bad_signature'
  | 'identifier_mismatch'
  | 'sdkappid_mismatch';

export function checkUserSig(
  userSig: string,
  expected: { sdkappid: number; key: string; identifier: string },
  nowMs: number,
): UserSigProblem | undefined {
  const doc = decodeUserSig(userSig);
  if (!doc) return 'malformed';
  if (doc['TLS.sdkappid'] !== expected.sdkappid) return 'sdkappid_mismatch';
  if (doc['TLS.identifier'] !== expected.identifier) return 'identifier_mismatch';
  const sig = Buffer.from(
    hmacBase64(expected.key, doc['TLS.identifier'], doc['TLS.sdkappid'], doc['TLS.time'], doc['TLS.expire']),
  );
  const given = Buffer.from(doc['TLS.sig']);
  if (sig.length !== given.length || !timingSafeEqual(sig, given)) return 'bad_signature';
  if ((doc['TLS.time'] + doc['TLS.expire']) * 1000 <= nowMs) return 'expired';
  return undefined;
}

/**
 * One UserSig for the admin, reused until it is close to expiry: signing per request would
 * be cheap, but a fresh signature per call buys nothing and Tencent rate-limits signature
 * checks (70050).
 */
export class UserSigCache {
  // #private: util.inspect and JSON.stringify never show these (the signature is a credential too)
  #current: { sig: string; expiresAtMs: number } | undefined;
  readonly #key: string;

  constructor(
    private readonly opts: {
      sdkappid: number;
      identifier: string;
      /** validity of each signature */
      validitySeconds: number;
      /** a new one is made when less than this is left */
      renewBeforeSeconds: number;
      now: () => number;
    },
    key: string,
  ) {
    this.#key = key;
  }

  /** Forgets the cached signature (the server said it expired): the next get() makes a new one. */
  invalidate(): void {
    this.#current = undefined;
  }

  get(): string {
    const now = this.opts.now();
    if (!this.#current || this.#current.expiresAtMs - now < this.opts.renewBeforeSeconds * 1000) {
      const issuedMs = Math.floor(now / 1000) * 1000;
      this.#current = {
        sig: genUserSig({
          sdkappid: this.opts.sdkappid,
          key: this.#key,
          identifier: this.opts.identifier,
          expireSeconds: this.opts.validitySeconds,
          nowMs: now,
        }),
        expiresAtMs: issuedMs + this.opts.validitySeconds * 1000,
      };
    }
    return this.#current.sig;
  }
}
