import { formatPath, formatZodIssues } from '../rules/format-issues.js';
import { DEFAULT_EVENT_LIMITS, type EventLimits, findLimitProblem } from './limits.js';
import { type DomainEvent, domainEventSchema } from './schema.js';

export type ValidationResult = { ok: true; event: DomainEvent } | { ok: false; errors: string[] };

/** What validation compares an event with besides its own content. */
export interface ValidationContext {
  /** the server's clock (epoch ms) */
  now: number;
  /** an `at` more than this far ahead of `now` is refused: a far-future fact could never be undone */
  maxFutureMs: number;
  limits: EventLimits;
}

export const DEFAULT_MAX_FUTURE_MS = 24 * 3600 * 1000;

/** The defaults, at this moment (for callers with no configuration: the publisher library, tests). */
export const defaultValidation = (now = Date.now()): ValidationContext => ({
  now,
  maxFutureMs: DEFAULT_MAX_FUTURE_MS,
  limits: DEFAULT_EVENT_LIMITS,
});

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

/** In unicode mode a pair is one code point: only a lone surrogate matches \p{Cs}. */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

/**
 * The first structural problem of a raw value, before the schema sees it: a container deeper
 * than `max`, or a string (value or key) that is not well-formed Unicode — a lone surrogate
 * becomes U+FFFD on its way into Redis, so `sur-\ud800` and `sur-\ud801` would be one key.
 * Iterative (no recursion), visits each container once (shared or cyclic references are not
 * walked again), and only reads own enumerable properties.
 */
function findRawProblem(input: unknown, max: number): string | undefined {
  const where = (path: PropertyKey[]) => (path.length >= 4 ? `${formatPath(path)}…` : formatPath(path));
  const illFormed = (path: PropertyKey[]) =>
    `${where(path)}: must be well-formed Unicode (it has a lone surrogate)`;
  if (typeof input === 'string') return wellFormed(input) ? undefined : illFormed([]);
  if (typeof input !== 'object' || input === null) return undefined;
  const seen = new WeakSet<object>();
  const stack: { value: object; depth: number; path: PropertyKey[] }[] = [
    { value: input, depth: 1, path: [] },
  ];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    if (depth > max) return `${where(path)}: nested too deeply; at most ${max} levels are allowed`;
    const children: [PropertyKey, unknown][] = Array.isArray(value)
      ? value.map((child, index) => [index, child])
      : Object.entries(value);
    for (const [key, child] of children) {
      // Paths are only reported to the first few levels; deeper ones are elided.
      const childPath = path.length < 4 ? [...path, key] : path;
      if (typeof key === 'string' && !wellFormed(key)) return illFormed(childPath);
      if (typeof child === 'string' && !wellFormed(child)) return illFormed(childPath);
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: depth + 1, path: childPath });
    }
  }
  return undefined;
}

/**
 * Validates one event against the public contract, the server's clock and the configured
 * limits. Never throws: every problem comes back as a `path: reason` string
 * (`conversation.type: expected a conversation type …`).
 */
export function validateEvent(
  input: unknown,
  ctx: ValidationContext = defaultValidation(),
): ValidationResult {
  try {
    const raw = findRawProblem(input, MAX_EVENT_DEPTH);
    if (raw !== undefined) return refuse([raw]);
    const parsed = domainEventSchema.safeParse(input);
    if (!parsed.success) return refuse(formatZodIssues(parsed.error));
    const event = parsed.data;
    if (event.at > ctx.now + ctx.maxFutureMs) {
      const ahead = Math.round((event.at - ctx.now) / 3_600_000);
      return refuse([
        `at: ${ahead} h ahead of the server clock; at most ${ctx.maxFutureMs / 3_600_000} h ahead is accepted (a fact from the future could never be undone)`,
      ]);
    }
    const limit = findLimitProblem(event, ctx.limits);
    return limit === undefined ? { ok: true, event } : refuse([limit]);
  } catch (error) {
    // Only reachable with non-JSON input (throwing getters, proxies, …).
    return refuse([`(root): could not be validated: ${describeError(error)}`]);
  }
}

/**
 * Parses and validates one NDJSON line (a trailing `\r` and a leading byte-order mark are
 * ignored). JSON syntax errors come back as `not JSON: <reason>`. Never throws.
 */
export function parseNdjsonLine(
  line: string,
  ctx: ValidationContext = defaultValidation(),
): ValidationResult {
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
  return validateEvent(value, ctx);
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unknown error';
  }
}
