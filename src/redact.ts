/** What a secret is replaced with in logs and errors. */
export const CENSOR = '[redacted]';

/** `scheme://user:password@host` → `scheme://[redacted]@host`: a URL in a message keeps its host. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, `$1${CENSOR}@`);
}

/** Query parameters that carry a credential (Tencent's `usersig`; tokens, secrets, passwords). */
const SECRET_PARAM = /sig|secret|token|password/i;

/** A copy of `url` with the values of its credential-bearing query parameters censored. */
export function redactUrlSecrets(url: URL): URL {
  const copy = new URL(url);
  for (const name of new Set(copy.searchParams.keys())) {
    if (SECRET_PARAM.test(name)) copy.searchParams.set(name, CENSOR);
  }
  return copy;
}
