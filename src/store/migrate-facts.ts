import { decodeRecord, encodeRecord, type NamedRegister, registerName } from '../facts/record.js';
import { isNewer, parseRegister } from '../facts/registers.js';
import type { RedisClient } from '../jobs/connection.js';
import type { Keys } from './keys.js';

/** Conversations moved per script call (Redis is not held long by one). */
const SLICE = 500;

/**
 * Moves an account's legacy facts fields (one per register, before 0.3) into per-conversation
 * records, so the account can be evaluated incrementally. Migration on read: the reconcile
 * calls it when its full read found legacy fields. Each conversation is moved atomically and
 * only if unchanged since this read (a fold in between leaves it for next time); a legacy field
 * that does not decode is left where it is (the reader skips it, as before).
 */
export async function migrateLegacyFacts(redis: RedisClient, keys: Keys, account: string): Promise<number> {
  const key = keys.facts(account);
  const byConversation = new Map<string, Array<[string, string]>>();
  const records = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, page] = await redis.hscan(key, cursor, 'COUNT', 5_000);
    cursor = next;
    for (let i = 0; i + 1 < page.length; i += 2) {
      const field = page[i]!;
      const end = field.indexOf('|', 2);
      if (end < 0) records.set(field, page[i + 1]!);
      else if (parseRegister(page[i + 1]!)) {
        const conv = field.slice(0, end);
        const list = byConversation.get(conv) ?? [];
        list.push([field, page[i + 1]!]);
        byConversation.set(conv, list);
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  } while (cursor !== '0');

  let moved = 0;
  let args: string[] = [];
  let inSlice = 0;
  const flush = async () => {
    if (args.length) moved += await redis.fsMigrateFacts(key, keys.counts(account), ...args);
    args = [];
    inSlice = 0;
  };
  for (const [conv, legacy] of byConversation) {
    const old = records.get(conv);
    const registers = new Map<string, NamedRegister>();
    const { registers: inRecord } = old === undefined ? { registers: [] } : decodeRecord(old);
    for (const r of inRecord) registers.set(r.name, r);
    for (const [field, value] of legacy) {
      const name = registerName(field.slice(conv.length + 1));
      const r = { name, ...parseRegister(value)! };
      const had = registers.get(name);
      if (!had || isNewer(r, had)) registers.set(name, r);
    }
    args.push(
      conv,
      old === undefined ? '0' : '1',
      old ?? '',
      encodeRecord([...registers.values()]),
      String(legacy.length),
    );
    for (const [field, value] of legacy) args.push(field, value);
    if (++inSlice >= SLICE) await flush();
  }
  await flush();
  return moved;
}
