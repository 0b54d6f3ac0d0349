/**
 * fast-check generators of malformed events: a valid event (test/events/arbitraries.ts) with one
 * thing broken — a field of the wrong JSON type, a huge string, `|` in an id that must not have
 * one, a control character, an unknown type, an unknown key, a missing field, a bad time or
 * conversation type, a rule nested beyond the limit, nesting beyond the event limit, not an
 * object at all, bad attributes. Each carries the field path its refusal must name. Every value
 * is plain JSON, so it reaches the service unchanged over HTTP.
 */
import fc from 'fast-check';
import { EVENT_TYPES } from '../../src/events/schema.js';
import { domainEvent, eventsByType } from '../events/arbitraries.js';

export interface Malformed {
  kind: string;
  value: unknown;
  /** the path one of its errors must name (`path: reason`) */
  path: string | RegExp;
  /** what that error's reason must say, when it is fixed */
  reason?: RegExp;
}

type Obj = Record<string, unknown>;
const CONVERSATION_TYPES = EVENT_TYPES.filter((t) => t.startsWith('conversation.'));
const conversationEvent = fc.oneof(
  ...CONVERSATION_TYPES.map((t) => eventsByType[t] as fc.Arbitrary<Obj>),
) as fc.Arbitrary<Obj>;
const tagEvent = eventsByType['conversation.tagged'] as fc.Arbitrary<Obj>;
const anyEvent = domainEvent as fc.Arbitrary<Obj>;

const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({ value: 'x' }),
);
const wrongType: Record<string, fc.Arbitrary<unknown>> = {
  id: notAString,
  account: notAString,
  type: notAString,
  at: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant([1]), fc.constant({ ms: 1 })),
  conversation: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant([2, 'team'])),
};

/** Longer than the 128 characters the contract allows: mostly a little, sometimes 100 000. */
const huge = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 129, maxLength: 400 }).filter((s) => s.length > 128) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(100_000), '客'.repeat(20_000)) },
);
const withPipe = fc
  .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
  .map(([a, b]) => `${a}|${b}`);
const withControl = fc
  .tuple(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 0x1f }), fc.string({ maxLength: 20 }))
  .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`);

/** A rule nested `depth` levels (the limit is 32). */
export function deepRule(depth: number, via: 'not' | 'all' | 'any' = 'not'): unknown {
  let rule: unknown = { attr: 'kind', eq: 'project' };
  for (let i = 1; i < depth; i++) rule = via === 'not' ? { not: rule } : { [via]: [rule] };
  return rule;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const put = (e: Obj, key: string, value: unknown): Obj => ({ ...e, [key]: value });
const without = (e: Obj, key: string): Obj => {
  const { [key]: _, ...rest } = e;
  return rest;
};
const field = (name: string) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

export const malformedEvent: fc.Arbitrary<Malformed> = fc
  .oneof(
    fc
      .tuple(fc.constantFrom('id', 'account', 'type', 'at', 'conversation'), conversationEvent)
      .chain(([name, e]) =>
        wrongType[name]!.map((v) => ({ kind: `wrong type of ${name}`, value: put(e, name, v), path: name })),
      ),
    fc.tuple(fc.constantFrom('id', 'account', 'tag'), tagEvent, huge).map(([name, e, s]) => ({
      kind: `huge ${name}`,
      value: put(e, name, s),
      path: name,
      reason: /at most 128 characters/,
    })),
    fc.tuple(conversationEvent, huge).map(([e, s]) => ({
      kind: 'huge conversation.target',
      value: put(e, 'conversation', { ...(e['conversation'] as Obj), target: s }),
      path: 'conversation.target',
      reason: /at most 128 characters/,
    })),
    fc.tuple(anyEvent, withPipe).map(([e, s]) => ({
      kind: '| in account',
      value: put(e, 'account', s),
      path: 'account',
      reason: /"\|"/,
    })),
    fc.tuple(conversationEvent, withPipe).map(([e, s]) => ({
      kind: '| in conversation.target',
      value: put(e, 'conversation', { ...(e['conversation'] as Obj), target: s }),
      path: 'conversation.target',
      reason: /"\|"/,
    })),
    fc.tuple(eventsByType['folder.deleted'] as fc.Arbitrary<Obj>, withPipe).map(([e, s]) => ({
      kind: '| in folderId',
      value: put(e, 'folderId', s),
      path: 'folderId',
    })),
    fc.tuple(anyEvent, withControl).map(([e, s]) => ({
      kind: 'control character in id',
      value: put(e, 'id', s),
      path: 'id',
      reason: /control characters/,
    })),
    fc
      .tuple(
        anyEvent,
        fc.string({ maxLength: 40 }).filter((s) => !(EVENT_TYPES as readonly string[]).includes(s)),
      )
      .map(([e, t]) => ({
        kind: 'unknown type',
        value: put(e, 'type', t),
        path: 'type',
        reason: /unknown event type/,
      })),
    fc
      .tuple(anyEvent, fc.constantFrom('extra', 'Account', 'payload', 'conversationId', 'ts', 'pinned'))
      .map(([e, key]) => ({
        kind: 'unknown key',
        value: put(e, key, 'x'),
        path: key,
        reason: /unknown key/,
      })),
    fc
      .tuple(conversationEvent, fc.constantFrom('id', 'type', 'account', 'at', 'conversation'))
      .map(([e, key]) => ({
        kind: `missing ${key}`,
        value: without(e, key),
        path: key,
        reason: /required/,
      })),
    fc.tuple(anyEvent, fc.constantFrom(-1, 1.5, 2 ** 60, -0.5)).map(([e, at]) => ({
      kind: 'bad at',
      value: put(e, 'at', at),
      path: 'at',
    })),
    fc.tuple(conversationEvent, fc.constantFrom(0, 4, 9, '2', null, 2.5)).map(([e, t]) => ({
      kind: 'bad conversation.type',
      value: put(e, 'conversation', { ...(e['conversation'] as Obj), type: t }),
      path: 'conversation.type',
    })),
    fc
      .tuple(
        eventsByType['folder.upserted'] as fc.Arbitrary<Obj>,
        fc.integer({ min: 33, max: 80 }),
        fc.constantFrom('not', 'all', 'any') as fc.Arbitrary<'not' | 'all' | 'any'>,
      )
      .map(([e, depth, via]) => ({
        kind: 'rule nested too deeply',
        value: put(e, 'folder', { ...(e['folder'] as Obj), rule: deepRule(depth, via) }),
        path: /^folder\.rule/,
        reason: /nested too deeply/,
      })),
    fc.tuple(anyEvent, fc.integer({ min: 101, max: 3000 })).map(([e, depth]) => ({
      kind: 'nested too deeply',
      value: put(e, 'x', nested(depth)),
      path: /^x\[0\]/,
      reason: /nested too deeply/,
    })),
    fc
      .oneof(
        fc.string(),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.boolean(),
      )
      .map((v) => ({ kind: 'not an object', value: v, path: '(root)' })),
    fc
      .tuple(
        eventsByType['conversation.upserted'] as fc.Arbitrary<Obj>,
        fc.constantFrom<[Obj, string]>(
          [{ tags: ['customer'] }, 'attributes.tags'],
          [{ meta: { a: 1 } }, 'attributes.meta'],
          [{ 'bad name': 1 }, 'attributes["bad name"]'],
          [{ pinned: 'yes' }, 'attributes.pinned'],
          [{ s: 'x'.repeat(1025) }, 'attributes.s'],
          [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, i])), 'attributes'],
        ),
      )
      .map(([e, [attributes, path]]) => ({
        kind: 'bad attributes',
        value: put(e, 'attributes', attributes),
        path,
      })),
  )
  .map((m) => ({ ...m, path: typeof m.path === 'string' ? field(m.path) : m.path }));

/** `path: reason` → {path, reason} (the ingest answer's shape). */
export function splitError(message: string): { path: string; reason: string } {
  const sep = message.indexOf(': ');
  return sep < 0
    ? { path: '(root)', reason: message }
    : { path: message.slice(0, sep), reason: message.slice(sep + 2) };
}

/** Whether one of the refusal's errors names the expected path (and reason). */
export function namesTheProblem(
  m: Malformed,
  errors: ReadonlyArray<{ path: string; reason: string }>,
): boolean {
  return errors.some(
    (e) =>
      (typeof m.path === 'string' ? e.path === m.path : m.path.test(e.path)) &&
      e.reason.trim() !== '' &&
      (m.reason === undefined || m.reason.test(e.reason)),
  );
}
