/**
 * Where an account's Redis bytes go, and more accounts of the same shape made fast.
 *
 * `cloneAccounts` copies reconciled accounts' keys byte for byte (DUMP, then RESTORE under the
 * new account's keys, with its partition's registries), so that 1M accounts can be measured
 * without folding 24M events and reconciling 1M accounts (hours on this machine). Redis keeps a
 * restored value in the encoding it was dumped in, so a clone costs what the original costs.
 */
import type { RedisClient } from '../../src/jobs/connection.js';
import type { Keys } from '../../src/store/keys.js';

/** Every per-account key kind the product writes (see src/store/keys.ts). */
const ACCOUNT_KEYS = [
  'facts',
  'folders',
  'ledger',
  'rejections',
  'retries',
  'status',
  'counts',
  'dirty',
  'evaluation',
] as const;
type AccountKey = (typeof ACCOUNT_KEYS)[number];

const BATCH = 500;

/** The dumped keys of `templates` accounts, to clone from. */
async function dumpTemplates(redis: RedisClient, keys: Keys, templates: readonly string[]) {
  return Promise.all(
    templates.map(async (account) => {
      const dumps = await Promise.all(ACCOUNT_KEYS.map((kind) => redis.dumpBuffer(keys[kind](account))));
      return ACCOUNT_KEYS.flatMap((kind, i) => (dumps[i] ? [[kind, dumps[i]] as const] : []));
    }),
  );
}

/**
 * Makes accounts `${prefix}${from}` … `${prefix}${to - 1}`, each a copy of one of `templates`,
 * registered in its partition as the fold registers an account (accounts set, verified at now).
 */
export async function cloneAccounts(
  redis: RedisClient,
  keys: Keys,
  opts: { templates: readonly string[]; prefix: string; from: number; to: number },
): Promise<void> {
  const dumps = await dumpTemplates(redis, keys, opts.templates);
  const now = Date.now();
  for (let start = opts.from; start < opts.to; start += BATCH * keys.partitions) {
    const end = Math.min(opts.to, start + BATCH * keys.partitions);
    // one pipeline per partition: its keys share one slot, so a Cluster takes it whole
    const byPartition = new Map<number, string[]>();
    for (let i = start; i < end; i++) {
      const account = `${opts.prefix}${i}`;
      const p = keys.partOf(account).partition;
      byPartition.set(p, [...(byPartition.get(p) ?? []), account]);
    }
    await Promise.all(
      [...byPartition].map(async ([p, accounts]) => {
        const part = keys.parts[p]!;
        const pipeline = redis.pipeline();
        for (const account of accounts) {
          const template = dumps[Number(account.slice(opts.prefix.length)) % dumps.length]!;
          for (const [kind, dump] of template) pipeline.restore(keys[kind](account), 0, dump, 'REPLACE');
        }
        pipeline.sadd(part.accounts, ...accounts);
        pipeline.zadd(part.verified, ...accounts.flatMap((a) => [now, a]));
        for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
      }),
    );
  }
}

export interface AccountBytes {
  /** MEMORY USAGE per key kind, mean over the sampled accounts that have it, times its share */
  perKind: Partial<Record<AccountKey | 'registries', number>>;
  sampled: number;
}

/**
 * Mean bytes per account by key kind (Redis's MEMORY USAGE, every element counted), over
 * `sample` accounts; the partitions' registries (accounts set, verified sorted set) divided by
 * the accounts they hold.
 */
export async function accountBytes(
  redis: RedisClient,
  keys: Keys,
  sample: readonly string[],
  accounts: number,
): Promise<AccountBytes> {
  const perKind: AccountBytes['perKind'] = {};
  for (const kind of ACCOUNT_KEYS) {
    const sizes = await Promise.all(
      sample.map(async (a) => Number((await redis.memory('USAGE', keys[kind](a), 'SAMPLES', '0')) ?? 0)),
    );
    const total = sizes.reduce((x, y) => x + y, 0);
    if (total > 0) perKind[kind] = Math.round(total / sample.length);
  }
  let registries = 0;
  for (const part of keys.parts) {
    for (const key of [part.accounts, part.verified]) {
      registries += Number((await redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
    }
  }
  perKind.registries = Math.round(registries / accounts);
  return { perKind, sampled: sample.length };
}
