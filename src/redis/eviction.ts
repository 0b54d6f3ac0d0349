import { Cluster, ReplyError } from 'ioredis';
import { nodesOf, type RedisClient } from '../jobs/connection.js';
import type { Logger } from '../log.js';
import { isRedisAuthError } from './errors.js';

/** The only policy under which Redis keeps every key: BullMQ's jobs and locks, facts, leases. */
export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** Redis is set up so that it would lose work: the process refuses to start (exit 2). */
export class EvictionPolicyError extends Error {
  override readonly name = 'EvictionPolicyError';
  constructor(readonly policy: string) {
    super(
      `Redis maxmemory-policy is "${policy}": under memory pressure Redis deletes keys, and with them ` +
        `jobs, locks, leases and facts. Fix it with \`CONFIG SET maxmemory-policy ${REQUIRED_EVICTION_POLICY}\` ` +
        `(and \`maxmemory-policy ${REQUIRED_EVICTION_POLICY}\` in redis.conf, or your provider's setting), ` +
        'or set REDIS_ALLOW_EVICTION=true to start anyway',
    );
  }
}

/** CONFIG GET answers `[name, value]` (RESP2 and ioredis' RESP3 alike); a map, to be safe. */
function policyOf(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
  if (reply instanceof Map) return reply.get('maxmemory-policy');
  if (typeof reply === 'object' && reply !== null)
    return (reply as Record<string, string>)['maxmemory-policy'];
  return undefined;
}

/**
 * Refuses (EvictionPolicyError) a Redis that may evict keys, unless `allowEviction`; then, and
 * when CONFIG is refused (managed Redis often forbids it), says so in the log and goes on. A
 * refused password rejects with Redis' error; a Redis that does not answer waits as the
 * connection's retry settings say.
 */
export async function checkEvictionPolicy(
  redis: RedisClient,
  opts: { allowEviction: boolean; log: Logger },
): Promise<void> {
  if (redis instanceof Cluster) {
    await redis.ping(); // a Cluster knows its masters once connected: each is asked
    for (const node of nodesOf(redis)) await checkNodePolicy(node, opts);
  } else await checkNodePolicy(redis, opts);
}

async function checkNodePolicy(
  redis: { config(...args: ['GET', string]): Promise<unknown> },
  opts: { allowEviction: boolean; log: Logger },
): Promise<void> {
  let reply: unknown;
  try {
    reply = await redis.config('GET', 'maxmemory-policy');
  } catch (error) {
    if (isRedisAuthError(error) || !(error instanceof ReplyError)) throw error;
    opts.log.warn(
      { err: error },
      `could not read Redis maxmemory-policy (CONFIG GET refused: ${(error as Error).message}); going on — ` +
        `make sure it is "${REQUIRED_EVICTION_POLICY}"`,
    );
    return;
  }
  const policy = policyOf(reply);
  if (policy === undefined || policy === REQUIRED_EVICTION_POLICY) return;
  if (!opts.allowEviction) throw new EvictionPolicyError(policy);
  opts.log.warn(
    { policy },
    `Redis maxmemory-policy is "${policy}", allowed by REDIS_ALLOW_EVICTION=true: evicted keys lose jobs, locks and facts`,
  );
}
