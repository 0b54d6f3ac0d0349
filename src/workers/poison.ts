import { isProviderError } from '../provider/types.js';
import { LeaseLostError } from '../store/account-store.js';

/** Redis answers that pass: a restart, a failover, memory pressure, a busy script. */
const TRANSIENT_REDIS_REPLY =
  /^(OOM|LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|READONLY|MASTERDOWN|NOREPLICAS|EXECABORT)\b/;
const TRANSIENT_CONNECTION = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * An error a retry of the same reconcile cannot fix: not the provider's (its errors have their
 * own handling: backoff, item rejections, folder errors), not a lost lease or a shutdown, not
 * Redis passing through a restart or an outage — a bug, or stored data no code path expects
 * (a key of the wrong type). An account whose reconcile keeps failing with one is parked.
 */
export function isPoison(error: unknown): boolean {
  if (isProviderError(error) || error instanceof LeaseLostError) return false;
  if (!(error instanceof Error)) return true;
  if (error.name === 'AbortError' || error.name === 'MaxRetriesPerRequestError') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CONNECTION.has(code)) return false;
  if (/Connection is closed|Stream isn't writeable|Redis transaction aborted/.test(error.message))
    return false;
  return !TRANSIENT_REDIS_REPLY.test(error.message);
}
