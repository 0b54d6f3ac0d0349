import { formatPath, formatZodIssues } from '../rules/format-issues.js';
import { type DomainEvent, domainEventSchema } from './schema.js';

export type ValidationResult = { ok: true; event: DomainEvent } | { ok: false; errors: string[] };

/**
 * Containers (objects and arrays) nested deeper than this are refused before the schema sees
 * the value, so hostile input can neither overflow the stack nor make a message huge.
 * The deepest valid event (a folder.upserted whose rule nests MAX_RULE_DEPTH levels of `all`)
 * is about 70 levels; too-deep rules below this limit get the rules schema's own message.
 */
export const MAX_EVENT_DEPTH = 100;
/**
 * The longest NDJSON line read. Above the largest valid event (64 attributes of 100
 * strings of 1024 characters is about 6.6 million characters).
 */
export const MAX_EVENT_LINE_LENGTH = 8 * 1024 * 1024;
/** Errors reported per event; the rest are counted in one last line. */
export const MAX_ERRORS_PER_EVENT = 10;
/** Characters per error message (paths of unknown keys echo the key). */
export const MAX_ERROR_LENGTH = 500;

const clip = (message: string): string =>
  message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;

const refuse = (errors: string[]): ValidationResult => {
  const shown = errors.slice(0, MAX_ERRORS_PER_EVENT).map(clip);
  const more = errors.length - shown.length;
  if (more > 0) shown.push(`(and ${more} more problem${more === 1 ? '' : 's'})`);
  return { ok: false, errors: shown.length > 0 ? shown : ['(root): invalid event'] };
};

/**
 * The path of the first container deeper than `max`, or undefined. Iterative (no recursion),
 * visits each container once (shared or cyclic references are not walked again), and only
 * reads own enumerable properties.
 */
function findTooDeep(input: unknown, max: number): PropertyKey[] | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const seen = new WeakSet<object>();
  const stack: { value: object; depth: number; path: PropertyKey[] }[] = [
    { value: input, depth: 1, path: [] },
  ];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    if (depth > max) return path;
    const children: [PropertyKey, unknown][] = Array.isArray(value)
      ? value.map((child, index) => [index, child])
      : Object.entries(value);
    for (const [key, child] of children) {
      if (typeof child === 'object' && child !== null) {
        // Paths are only reported to the first few levels; deeper ones are elided.
        stack.push({ value: child, depth: depth + 1, path: path.length < 4 ? [...path, key] : path });
      }
    }
  }
  return undefined;
}

/**
 * Validates one event against the public contract. Never throws: every problem comes back
 * as a `path: reason` string (`conversation.type: expected a conversation type …`).
 */
export function validateEvent(input: unknown): ValidationResult {
  try {
    const tooDeep = findTooDeep(input, MAX_EVENT_DEPTH);
    if (tooDeep !== undefined) {
      const where = tooDeep.length >= 4 ? `${formatPath(tooDeep)}…` : formatPath(tooDeep);
      return refuse([`${where}: nested too deeply; at most ${MAX_EVENT_DEPTH} levels are allowed`]);
    }
    const parsed = domainEventSchema.safeParse(input);
    if (parsed.success) return { ok: true, event: parsed.data };
    return refuse(formatZodIssues(parsed.error));
  } catch (error) {
    // Only reachable with non-JSON input (throwing getters, proxies, …).
    return refuse([`(root): could not be validated: ${describeError(error)}`]);
  }
}

/**
 * Parses and validates one NDJSON line (a trailing `\r` and a leading byte-order mark are
 * ignored). JSON syntax errors come back as `not JSON: <reason>`. Never throws.
 */
export function parseNdjsonLine(line: string): ValidationResult {
  let text = line.startsWith('\uFEFF') ? line.slice(1) : line;
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text.trim() === '') return refuse(['not JSON: empty line']);
  if (text.length > MAX_EVENT_LINE_LENGTH) {
    return refuse([`too long: ${text.length} characters; at most ${MAX_EVENT_LINE_LENGTH}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return refuse([`not JSON: ${describeError(error)}`]);
  }
  return validateEvent(value);
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unknown error';
  }
}
