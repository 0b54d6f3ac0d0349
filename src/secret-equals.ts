import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares secrets in constant time, whatever their lengths (both sides are hashed first). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The credentials of an `Authorization` header for `scheme` ("Bearer", "Basic"), or undefined.
 * Schemes are case-insensitive (RFC 9110 §11.1), so "bearer x" is "Bearer x".
 */
export function credentialsFor(header: string | undefined, scheme: string): string | undefined {
  if (header === undefined) return undefined;
  const sep = header.indexOf(' ');
  if (sep < 0 || header.slice(0, sep).toLowerCase() !== scheme.toLowerCase()) return undefined;
  return header.slice(sep + 1).trim();
}
