/**
 * One reconcile serves many events: its job is deduplicated per account, so it carries the trace
 * of the events job that queued it (its parent, through BullMQ's telemetry) and nothing of the
 * events folded while it waited. Each events job notes its span for the accounts it touched; the
 * reconcile that runs next takes the notes and links to those traces (OTel span links).
 */
import type { Link } from '@opentelemetry/api';
import type { RedisClient } from '../jobs/connection.js';
import type { Keys } from '../store/keys.js';
import { activeSpanSampled, activeTraceId, spanContextOf, traceCarrier } from './api.js';

/** The most recent notes an account keeps: a reconcile links to that many traces at most. */
export const MAX_RECONCILE_LINKS = 32;
/** Notes no reconcile takes (the account is parked) go after this. */
const NOTES_TTL_SECONDS = 3600;

/**
 * Notes the active span for each account's next reconcile. Nothing happens unless the span is
 * sampled, so a process that does not trace sends Redis nothing. `accounts` are those of one
 * events job, hence of one partition: one Cluster slot, one pipeline.
 */
export async function noteReconcileCauses(
  redis: RedisClient,
  keys: Keys,
  accounts: Iterable<string>,
): Promise<void> {
  const carrier = activeSpanSampled() ? traceCarrier() : undefined;
  if (carrier === undefined) return;
  const pipeline = redis.pipeline();
  for (const account of accounts) {
    const key = keys.traceLinks(account);
    pipeline.rpush(key, carrier).ltrim(key, -MAX_RECONCILE_LINKS, -1).expire(key, NOTES_TTL_SECONDS);
  }
  // a lost note costs a link, never the events job
  await pipeline.exec().catch(() => {});
}

/**
 * Takes the account's notes: links to each other trace they name (once per trace; the active
 * trace, the reconcile's own, is its parent already). None unless the active span is sampled.
 */
export async function takeReconcileLinks(redis: RedisClient, keys: Keys, account: string): Promise<Link[]> {
  if (!activeSpanSampled()) return [];
  const key = keys.traceLinks(account);
  const replies = await redis
    .multi()
    .lrange(key, 0, -1)
    .del(key)
    .exec()
    .catch(() => null);
  const carriers = (replies?.[0]?.[1] ?? []) as string[];
  const seen = new Set([activeTraceId()]);
  const links: Link[] = [];
  for (const carrier of carriers) {
    const spanContext = spanContextOf(carrier);
    if (!spanContext || seen.has(spanContext.traceId)) continue;
    seen.add(spanContext.traceId);
    links.push({ context: spanContext });
  }
  return links;
}
