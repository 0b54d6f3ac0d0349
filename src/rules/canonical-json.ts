import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted (by UTF-16 code units) at every level and no whitespace,
 * so equal data always serialises to the same text, whatever the source's key order,
 * formatting or syntax (JSON or YAML). Array order is content and is kept.
 * Only for validated, JSON-compatible data: anything else is a bug and throws.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot serialise ${value} as JSON`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined) // as JSON.stringify does: an absent optional is not content
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(',')}}`;
  }
  throw new TypeError(`cannot serialise a ${typeof value} as JSON`);
}

/** sha256 (hex) of the canonical JSON form. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
