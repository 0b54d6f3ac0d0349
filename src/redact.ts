/** What a secret is replaced with in logs and errors. */
export const CENSOR = '[redacted]';

/** `scheme://user:password@host` → `scheme://[redacted]@host`: a URL in a message keeps its host. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, `$1${CENSOR}@`);
}
