import { Buffer } from 'node:buffer';

/** What `packMsgpack` encodes: JSON-like values (undefined is written as nil). */
export type Packable =
  | null
  | undefined
  | boolean
  | number
  | string
  | readonly Packable[]
  | { readonly [key: string]: Packable };

/**
 * MessagePack bytes of `value`, byte for byte what BullMQ's encoder (msgpackr's `Packr` with
 * `useRecords: false, encodeUndefinedAsNil: true`) writes for it, so BullMQ's Lua scripts read
 * the arguments we send exactly as the ones it sends: an integer in the smallest format that
 * holds it up to 32 bits and any other number as a float64; every object as a map 16. Strings
 * are UTF-8: a lone surrogate becomes U+FFFD, as in the keys ioredis sends (msgpackr would
 * write it raw into a short string).
 */
export function packMsgpack(value: Packable): Buffer {
  const out: Buffer[] = [];
  write(value, out);
  return Buffer.concat(out);
}

function write(value: Packable, out: Buffer[]): void {
  if (value === null || value === undefined) out.push(bytes(0xc0));
  else if (typeof value === 'boolean') out.push(bytes(value ? 0xc3 : 0xc2));
  else if (typeof value === 'number') out.push(number(value));
  else if (typeof value === 'string') {
    const utf8 = Buffer.from(value, 'utf8');
    out.push(header(utf8.length, 0xa0, 0x20, 0xd9, 0xda, 0xdb), utf8);
  } else if (isList(value)) {
    out.push(header(value.length, 0x90, 0x10, undefined, 0xdc, 0xdd));
    for (const item of value) write(item, out);
  } else {
    const keys = Object.keys(value);
    if (keys.length > 0xffff)
      throw new RangeError(`a map of ${keys.length} entries is over the 65,535 of a map 16`);
    const size = Buffer.alloc(3);
    size[0] = 0xde;
    size.writeUInt16BE(keys.length, 1);
    out.push(size);
    for (const key of keys) {
      write(key, out);
      write(value[key], out);
    }
  }
}

const isList = (value: object): value is readonly Packable[] => Array.isArray(value);

const bytes = (...list: number[]) => Buffer.from(list);

/** A length's header: its fix form below `fixLimit`, else the 8-, 16- or 32-bit one. */
function header(
  length: number,
  fix: number,
  fixLimit: number,
  code8: number | undefined,
  code16: number,
  code32: number,
): Buffer {
  if (length < fixLimit) return bytes(fix | length);
  if (code8 !== undefined && length < 0x100) return bytes(code8, length);
  if (length < 0x10000) return bytes(code16, length >> 8, length & 0xff);
  const b = Buffer.alloc(5);
  b[0] = code32;
  b.writeUInt32BE(length, 1);
  return b;
}

/** msgpackr's choices: its tests (`value >>> 0`, `value >> 0`) decide what is an integer. */
function number(value: number): Buffer {
  if (value >>> 0 === value) {
    if (value < 0x80) return bytes(value);
    if (value < 0x100) return bytes(0xcc, value);
    if (value < 0x10000) return bytes(0xcd, value >> 8, value & 0xff);
    const b = Buffer.alloc(5);
    b[0] = 0xce;
    b.writeUInt32BE(value, 1);
    return b;
  }
  if (value >> 0 === value) {
    if (value >= -0x20) return bytes(0x100 + value);
    if (value >= -0x80) return bytes(0xd0, value + 0x100);
    if (value >= -0x8000) {
      const b = Buffer.alloc(3);
      b[0] = 0xd1;
      b.writeInt16BE(value, 1);
      return b;
    }
    const b = Buffer.alloc(5);
    b[0] = 0xd2;
    b.writeInt32BE(value, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = 0xcb;
  b.writeDoubleBE(value, 1);
  return b;
}
