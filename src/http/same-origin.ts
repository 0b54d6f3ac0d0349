import type { MiddlewareHandler } from 'hono';

/**
 * Refuses cross-site writes (CSRF). A browser that holds the dashboard's Basic credentials sends
 * them with any request to it, including a form POST or a `no-cors` fetch made by a page of
 * another site: authentication alone cannot tell the operator's click from that page's. Reads
 * stay open (the other site cannot read the answer; GET and HEAD change nothing on the board).
 *
 * The decision, in order:
 * 1. `Sec-Fetch-Site` when the browser sends it (every current browser does to https and to
 *    loopback): `same-origin`, or `none` (typed by the user, a bookmark) pass; `same-site` (a
 *    sibling subdomain is still another origin), `cross-site` and anything else are refused. The
 *    browser computes it, so a reverse proxy in front changes nothing.
 * 2. else `Origin`, which must be the origin the client addressed (see `addressedOrigin`); the
 *    opaque `null` (sandboxed frames, data: URLs, cross-site redirects) is cross-site.
 * 3. neither header: not a browser's cross-site request (curl, scripts), allowed.
 */
export function sameOriginWrites(): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const reason = crossSiteReason(c.req.raw.headers, c.req.url);
    if (reason === undefined) return next();
    return c.json({ error: 'cross-site request refused', reason }, 403);
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SAME_ORIGIN_FETCH_SITES = new Set(['same-origin', 'none']);

/** Why a write with these headers is cross-site, or undefined when it is not. */
export function crossSiteReason(headers: Headers, requestUrl: string): string | undefined {
  const site = headers.get('sec-fetch-site');
  if (site !== null) {
    return SAME_ORIGIN_FETCH_SITES.has(site.trim().toLowerCase()) ? undefined : `Sec-Fetch-Site is ${site}`;
  }
  const origin = headers.get('origin');
  if (origin === null) return undefined;
  if (origin.trim() === 'null') return 'Origin is null';
  const sent = originOf(origin);
  const own = addressedOrigin(headers, requestUrl);
  if (sent === undefined) return `Origin ${origin} is not an origin`;
  return sent === own ? undefined : `Origin ${sent} is not this server's ${own}`;
}

/**
 * The origin the client addressed: scheme and host of the request as this server received it
 * (the `Host` header), or as a reverse proxy reports it in `X-Forwarded-Proto`/`X-Forwarded-Host`
 * (a proxy terminating TLS, or one that rewrites `Host`). Trusting those headers costs nothing
 * here: a page cannot add them to a cross-site request (they are not CORS-safelisted, so the
 * browser would first ask with a preflight, which this server never grants), and a client that
 * can set any header can as well leave `Origin` out.
 */
export function addressedOrigin(headers: Headers, requestUrl: string): string {
  const url = new URL(requestUrl);
  const proto = firstValue(headers.get('x-forwarded-proto'))?.toLowerCase();
  const scheme = proto === 'http' || proto === 'https' ? proto : url.protocol.slice(0, -1);
  const host = firstValue(headers.get('x-forwarded-host')) ?? url.host;
  return originOf(`${scheme}://${host}`) ?? `${scheme}://${host}`;
}

/** A proxy chain appends: the first value is what the client sent to the outermost proxy. */
function firstValue(header: string | null): string | undefined {
  const first = header?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/** The serialised origin (lower-case host, default port dropped), or undefined if not a URL. */
function originOf(text: string): string | undefined {
  try {
    const { origin } = new URL(text);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
