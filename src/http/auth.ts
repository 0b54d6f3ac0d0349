import type { MiddlewareHandler } from 'hono';
import { credentialsFor, secretEquals } from '../secret-equals.js';
import type { ErrorAnswer } from './answers.js';

export interface Credentials {
  /** basic auth; off when password is unset */
  user?: string;
  password?: string;
  /** `Authorization: Bearer <token>`; off when unset */
  token?: string;
  realm: string;
}

/**
 * Requires a configured credential. With none configured every request is refused: an
 * unprotected dashboard or ingest would hand out Redis-level power.
 */
export function requireAuth(creds: Credentials): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const bearer = credentialsFor(header, 'Bearer');
    const basic = credentialsFor(header, 'Basic');
    let ok = false;
    if (creds.token && bearer !== undefined) ok = secretEquals(bearer, creds.token);
    if (!ok && creds.password && basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      // evaluate both comparisons: no early exit that would tell which part was wrong
      const userOk = secretEquals(decoded.slice(0, sep), creds.user ?? '');
      const passOk = secretEquals(decoded.slice(sep + 1), creds.password);
      ok = sep > 0 && userOk && passOk;
    }
    if (ok) return next();
    const challenge = creds.password
      ? `Basic realm="${creds.realm}", charset="UTF-8"`
      : `Bearer realm="${creds.realm}"`;
    return c.json<ErrorAnswer>({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': challenge });
  };
}
