import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DomainEvent,
  defaultValidation,
  EVENT_TYPES,
  type EventType,
  eventConversationKey,
  MAX_ATTRIBUTES_PER_EVENT,
  MAX_ERRORS_PER_EVENT,
  MAX_EVENT_DEPTH,
  parseNdjsonLine,
  validateEvent,
} from '../../src/events/index.js';
import { ROOT } from '../support/processes.js';
import {
  attributes,
  domainEvent,
  eventsByType,
  maxAttrList,
  maxAttrString,
  mutatedEvent,
} from './arbitraries.js';

const conversation = { type: 2, target: 'team-42' };
const head = (type: string) => ({ id: 'e-1', type, account: 'alice', at: 1763700000000 });

/** One valid example of every type, as an app would send it. */
const VALID: Record<EventType, Record<string, unknown>> = {
  'conversation.upserted': {
    ...head('conversation.upserted'),
    conversation,
    attributes: {
      kind: 'project',
      members: 12,
      ratio: 0.5,
      vip: true,
      labels: ['q4', 'mobile'],
      old: null,
      pinned: true,
      muted: false,
      archived: null,
      'x-y.z': '',
    },
  },
  'conversation.pinned': { ...head('conversation.pinned'), conversation },
  'conversation.unpinned': { ...head('conversation.unpinned'), conversation },
  'conversation.muted': { ...head('conversation.muted'), conversation: { type: 1, target: 'bob' } },
  'conversation.unmuted': { ...head('conversation.unmuted'), conversation },
  'conversation.archived': { ...head('conversation.archived'), conversation: { type: 3, target: 'st-1' } },
  'conversation.unarchived': { ...head('conversation.unarchived'), conversation },
  'conversation.tagged': { ...head('conversation.tagged'), conversation, tag: 'customer' },
  'conversation.untagged': { ...head('conversation.untagged'), conversation, tag: '客户 | VIP' },
  'conversation.removed': { ...head('conversation.removed'), conversation },
  'folder.upserted': {
    ...head('folder.upserted'),
    folder: {
      id: 'launch',
      name: 'Launch',
      rule: { attr: 'kind', eq: 'project' },
      include: [{ type: 1, target: 'bob' }],
      exclude: [conversation],
    },
  },
  'folder.deleted': { ...head('folder.deleted'), folderId: 'launch' },
  'account.resync': head('account.resync'),
};

function errorsFor(input: unknown): string[] {
  const result = validateEvent(input);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.event)}`);
  return result.errors;
}

const TYPE_LIST =
  'expected one of conversation.upserted, conversation.pinned, conversation.unpinned, conversation.muted, ' +
  'conversation.unmuted, conversation.archived, conversation.unarchived, conversation.tagged, ' +
  'conversation.untagged, conversation.removed, folder.upserted, folder.deleted, account.resync';

describe('valid events', () => {
  it.each(EVENT_TYPES)('accepts %s and returns it unchanged', (type) => {
    const input = VALID[type];
    const result = validateEvent(input);
    expect(result).toEqual({ ok: true, event: input });
  });

  it('accepts the contract example verbatim', () => {
    const line =
      '{"id":"e-1","type":"conversation.pinned","account":"alice","at":1763700000000,"conversation":{"type":2,"target":"team-42"}}';
    const result = parseNdjsonLine(line);
    expect(result.ok && JSON.stringify(result.event)).toBe(line);
  });

  it('accepts the limits themselves', () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_ATTRIBUTES_PER_EVENT }, (_, i) => [
        `a${i}`,
        i % 2 ? maxAttrString : maxAttrList,
      ]),
    );
    expect(validateEvent({ ...VALID['conversation.upserted'], attributes: many }).ok).toBe(true);
    expect(validateEvent({ ...VALID['conversation.upserted'], attributes: {} }).ok).toBe(true);
    const long = { ...head('conversation.tagged'), id: 'i'.repeat(128), account: 'a'.repeat(128) };
    expect(validateEvent({ ...long, conversation, tag: 't'.repeat(128) }).ok).toBe(true);
    expect(validateEvent({ ...head('account.resync'), at: 0 }).ok).toBe(true);
    const anyTime = { ...defaultValidation(), maxFutureMs: Number.POSITIVE_INFINITY };
    expect(validateEvent({ ...head('account.resync'), at: Number.MAX_SAFE_INTEGER }, anyTime).ok).toBe(true);
  });

  it('refuses an `at` further ahead of the server clock than allowed', () => {
    const now = 1_796_000_000_000;
    const ctx = { ...defaultValidation(now), maxFutureMs: 3_600_000 };
    expect(validateEvent({ ...head('account.resync'), at: now + 3_600_000 }, ctx).ok).toBe(true);
    expect(validateEvent({ ...head('account.resync'), at: now + 3_600_001 }, ctx)).toEqual({
      ok: false,
      errors: [
        'at: 1 h ahead of the server clock; at most 1 h ahead is accepted (a fact from the future could never be undone)',
      ],
    });
  });

  it('refuses strings that are not well-formed Unicode, wherever they are (they collide as Redis keys)', () => {
    for (const [event, path] of [
      [{ ...head('account.resync'), account: 'sur-\ud800' }, 'account'],
      [{ ...head('account.resync'), id: 'e-\udc00x' }, 'id'],
      [{ ...VALID['conversation.tagged'], tag: '\ud83d' }, 'tag'],
      [
        { ...VALID['conversation.tagged'], conversation: { type: 2, target: 'x\ud800' } },
        'conversation.target',
      ],
      [
        { ...VALID['conversation.upserted'], attributes: { name: ['ok', 'bad\udfff'] } },
        'attributes.name[1]',
      ],
    ] as const) {
      expect(validateEvent(event)).toEqual({
        ok: false,
        errors: [`${path}: must be well-formed Unicode (it has a lone surrogate)`],
      });
    }
    // a pair is a character: 😀 is fine
    expect(validateEvent({ ...VALID['conversation.tagged'], tag: '\ud83d\ude00' }).ok).toBe(true);
  });

  it('refuses user folders over the configured rule limits', () => {
    const ctx = { ...defaultValidation(), limits: { maxInValues: 3, maxUserFolderRuleSize: 6 } };
    const folder = (rule: unknown) => ({ ...head('folder.upserted'), folder: { id: 'f', name: 'F', rule } });
    expect(validateEvent(folder({ attr: 'x', in: ['a', 'b', 'c'] }), ctx).ok).toBe(true);
    expect(
      validateEvent(folder({ all: [{ type: [1] }, { attr: 'x', in: ['a', 'b', 'c', 'd'] }] }), ctx),
    ).toEqual({
      ok: false,
      errors: ['folder.rule.all[1].in: 4 values; at most 3 are allowed (RULE_MAX_IN_VALUES)'],
    });
    expect(
      validateEvent(
        folder({
          any: [
            { attr: 'x', in: ['a', 'b'] },
            { attr: 'y', in: ['a', 'b'] },
          ],
        }),
        ctx,
      ),
    ).toEqual({
      ok: false,
      errors: [
        'folder.rule: 7 rule nodes and values; at most 6 are allowed in a user folder (USER_FOLDER_MAX_RULE_SIZE)',
      ],
    });
  });

  it('keeps an attribute named __proto__ as plain data', () => {
    const input = JSON.parse(
      '{"id":"e","type":"conversation.upserted","account":"a","at":1,"conversation":{"type":1,"target":"b"},"attributes":{"__proto__":"x","constructor":1}}',
    );
    const result = validateEvent(input);
    if (!result.ok) throw new Error(result.errors.join('; '));
    const attrs = (result.event as Extract<DomainEvent, { type: 'conversation.upserted' }>).attributes;
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(Object.keys(attrs)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(attrs)).toBe('{"__proto__":"x","constructor":1}');
  });

  it('eventConversationKey names the conversation, or nothing for folder and account events', () => {
    const key = (type: EventType) => {
      const result = validateEvent(VALID[type]);
      return result.ok ? eventConversationKey(result.event) : 'invalid';
    };
    expect(key('conversation.pinned')).toBe('2|team-42');
    expect(key('conversation.muted')).toBe('1|bob');
    expect(key('folder.upserted')).toBeUndefined();
    expect(key('folder.deleted')).toBeUndefined();
    expect(key('account.resync')).toBeUndefined();
  });

  it('examples/events.ndjson is valid and covers every type', () => {
    const lines = readFileSync(join(ROOT, 'examples/events.ndjson'), 'utf8').split('\n').filter(Boolean);
    const types = new Set<string>();
    const ids = new Set<string>();
    let lastAt = 0;
    lines.forEach((line, i) => {
      const result = parseNdjsonLine(line);
      if (!result.ok) throw new Error(`line ${i + 1}: ${result.errors.join('; ')}`);
      types.add(result.event.type);
      ids.add(result.event.id);
      expect(result.event.at).toBeGreaterThan(lastAt);
      lastAt = result.event.at;
    });
    expect([...types].sort()).toEqual([...EVENT_TYPES].sort());
    expect(ids.size).toBe(lines.length);
  });
});

describe('refused events: the path and the reason', () => {
  it('refuses what is not an object', () => {
    expect(errorsFor(null)).toEqual(['(root): expected an event object, got null']);
    expect(errorsFor([VALID['account.resync']])).toEqual(['(root): expected an event object, got a list']);
    expect(errorsFor('conversation.pinned')).toEqual(['(root): expected an event object, got a string']);
    expect(errorsFor(42)).toEqual(['(root): expected an event object, got a number']);
    expect(errorsFor(undefined)).toEqual(['(root): required; expected an event object']);
  });

  it('lists the valid types for a missing, unknown or non-string type', () => {
    expect(errorsFor({ ...VALID['conversation.pinned'], type: 'conversation.pined' })).toEqual([
      `type: unknown event type "conversation.pined"; ${TYPE_LIST}`,
    ]);
    const { type: _, ...untyped } = VALID['conversation.pinned'];
    expect(errorsFor(untyped)).toEqual([`type: required; ${TYPE_LIST}`]);
    expect(errorsFor({ ...untyped, type: 3 })).toEqual([
      `type: expected an event type (string), got a number; ${TYPE_LIST}`,
    ]);
    expect(errorsFor({ ...untyped, type: 'x'.repeat(1000) })[0]).toBe(
      `type: unknown event type "${'x'.repeat(64)}…"; ${TYPE_LIST}`,
    );
    // inherited names are not types
    expect(errorsFor({ ...untyped, type: 'constructor' })[0]).toMatch(
      /^type: unknown event type "constructor"/,
    );
  });

  it('checks the common fields', () => {
    expect(errorsFor({ type: 'account.resync' })).toEqual([
      'id: required; expected an event id (string)',
      'account: required; expected an account (string)',
      'at: required; expected epoch milliseconds (a number)',
    ]);
    const resync = VALID['account.resync'];
    expect(errorsFor({ ...resync, id: '' })).toEqual(['id: must not be empty']);
    expect(errorsFor({ ...resync, id: 'x'.repeat(129) })).toEqual(['id: must be at most 128 characters']);
    expect(errorsFor({ ...resync, id: 'a\nb' })).toEqual(['id: must not contain control characters']);
    expect(errorsFor({ ...resync, id: 7 })).toEqual(['id: expected an event id (string), got a number']);
    expect(errorsFor({ ...resync, account: 'alice|x' })).toEqual(['account: must not contain "|"']);
    expect(errorsFor({ ...resync, account: 'a\u0000' })).toEqual([
      'account: must not contain control characters',
    ]);
    expect(errorsFor({ ...resync, account: 'a'.repeat(129) })).toEqual([
      'account: must be at most 128 characters',
    ]);
    expect(errorsFor({ ...resync, at: '1763700000000' })).toEqual([
      'at: expected epoch milliseconds (a number), got a string',
    ]);
    expect(errorsFor({ ...resync, at: -1 })).toEqual(['at: must not be negative']);
    expect(errorsFor({ ...resync, at: 1.5 })).toEqual(['at: must be a whole number of milliseconds']);
    expect(errorsFor({ ...resync, at: 2 ** 60 })).toEqual([`at: must be at most ${Number.MAX_SAFE_INTEGER}`]);
    expect(errorsFor({ ...resync, at: Number.POSITIVE_INFINITY })).toEqual([
      'at: expected epoch milliseconds (a number), got Infinity',
    ]);
  });

  it('refuses unknown keys, naming each key and what the type allows', () => {
    expect(errorsFor({ ...VALID['conversation.pinned'], pinned: true, Account: 'x' })).toEqual([
      'pinned: unknown key; a "conversation.pinned" event allows only id, type, account, at, conversation',
      'Account: unknown key; a "conversation.pinned" event allows only id, type, account, at, conversation',
    ]);
    expect(errorsFor({ ...VALID['account.resync'], conversation })).toEqual([
      'conversation: unknown key; a "account.resync" event allows only id, type, account, at',
    ]);
    expect(errorsFor({ ...VALID['folder.deleted'], conversation })).toEqual([
      'conversation: unknown key; a "folder.deleted" event allows only id, type, account, at, folderId',
    ]);
    expect(
      errorsFor({ ...VALID['conversation.removed'], conversation: { ...conversation, name: 'x' } }),
    ).toEqual(['conversation.name: unknown key; a conversation allows only type, target']);
  });

  it('checks the conversation (the rules schema’s conversation reference)', () => {
    const pinned = VALID['conversation.pinned'];
    expect(errorsFor({ ...pinned, conversation: { type: 4, target: 'x' } })).toEqual([
      'conversation.type: expected a conversation type 1 (p2p), 2 (advanced team) or 3 (super team), got 4',
    ]);
    expect(errorsFor({ ...pinned, conversation: { type: 1, target: 'a|b' } })).toEqual([
      'conversation.target: must not contain "|"',
    ]);
    expect(errorsFor({ ...pinned, conversation: { type: 1, target: 't'.repeat(129) } })).toEqual([
      'conversation.target: must be at most 128 characters',
    ]);
    const { conversation: _, ...bare } = pinned;
    expect(errorsFor(bare)).toEqual(['conversation: required; expected a conversation object']);
    expect(errorsFor({ ...pinned, conversation: '2|team-42' })).toEqual([
      'conversation: expected a conversation object, got a string',
    ]);
  });

  it('checks attributes', () => {
    const upsert = (attrs: unknown) => errorsFor({ ...VALID['conversation.upserted'], attributes: attrs });
    expect(upsert({ tags: ['a'] })).toEqual([
      'attributes.tags: reserved; use conversation.tagged / conversation.untagged',
    ]);
    expect(upsert({ tags: null })).toEqual([
      'attributes.tags: reserved; use conversation.tagged / conversation.untagged',
    ]);
    expect(upsert({ pinned: 'yes' })).toEqual([
      'attributes.pinned: expected true, false or null, got a string',
    ]);
    expect(upsert({ muted: 1 })).toEqual(['attributes.muted: expected true, false or null, got a number']);
    expect(upsert({ archived: [] })).toEqual([
      'attributes.archived: expected true, false or null, got a list',
    ]);
    expect(upsert({ 'bad name': 1 })).toEqual([
      'attributes["bad name"]: invalid attribute name: must match ^[A-Za-z_][A-Za-z0-9_.-]*$',
    ]);
    expect(upsert({ '': 1 })).toEqual(['attributes[""]: invalid attribute name: must not be empty']);
    expect(upsert({ ['a'.repeat(65)]: 1 })[0]).toMatch(
      /: invalid attribute name: must be at most 64 characters$/,
    );
    expect(upsert({ meta: { a: 1 } })).toEqual([
      'attributes.meta: expected a string, number, boolean, list of strings or null, got an object',
    ]);
    expect(upsert({ n: Number.NaN })).toEqual(['attributes.n: must be a finite number, got NaN']);
    expect(upsert({ s: 'x'.repeat(1025) })).toEqual(['attributes.s: must be at most 1024 characters']);
    expect(upsert({ l: Array.from({ length: 101 }, () => 'a') })).toEqual([
      'attributes.l: must have at most 100 items, got 101',
    ]);
    expect(upsert({ l: ['ok', 3, 'x'.repeat(1025)] })).toEqual([
      'attributes.l[1]: expected a string, got a number',
      'attributes.l[2]: must be at most 1024 characters',
    ]);
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, i]));
    expect(upsert(tooMany)).toEqual(['attributes: must have at most 64 attributes, got 65']);
    expect(upsert([])).toEqual(['attributes: expected an attributes object, got a list']);
    const { attributes: _, ...bare } = VALID['conversation.upserted'];
    expect(errorsFor(bare)).toEqual(['attributes: required; expected an attributes object']);
  });

  it('checks tags', () => {
    const tagged = VALID['conversation.tagged'];
    expect(errorsFor({ ...tagged, tag: '' })).toEqual(['tag: must not be empty']);
    expect(errorsFor({ ...tagged, tag: 'x'.repeat(129) })).toEqual(['tag: must be at most 128 characters']);
    expect(errorsFor({ ...tagged, tag: 'a\tb' })).toEqual(['tag: must not contain control characters']);
    expect(errorsFor({ ...tagged, tag: ['a'] })).toEqual(['tag: expected a tag (string), got a list']);
    const { tag: _, ...bare } = VALID['conversation.untagged'];
    expect(errorsFor(bare)).toEqual(['tag: required; expected a tag (string)']);
  });

  it('checks folders with the rules schema', () => {
    const upsert = VALID['folder.upserted'];
    expect(errorsFor({ ...upsert, folder: { id: 'a:b', name: ' ' } })).toEqual([
      'folder.id: must not contain "|" or ":"',
      'folder.name: must not be blank',
    ]);
    expect(
      errorsFor({ ...upsert, folder: { id: 'f', name: 'F', rule: { attr: 'kind', equals: 1 } } }),
    ).toEqual([
      'folder.rule: unknown rule; expected one of all, any, not, type, attr+eq, attr+in, attr+has, attr+exists',
    ]);
    expect(
      errorsFor({ ...upsert, folder: { id: 'f', name: 'F', include: [{ type: 5, target: 'x' }] } }),
    ).toEqual([
      'folder.include[0].type: expected a conversation type 1 (p2p), 2 (advanced team) or 3 (super team), got 5',
    ]);
    expect(errorsFor({ ...VALID['folder.deleted'], folderId: 'a|b' })).toEqual([
      'folderId: must not contain "|" or ":"',
    ]);
    expect(errorsFor({ ...VALID['folder.deleted'], folderId: undefined })).toEqual([
      'folderId: required; expected a folder id (string)',
    ]);
  });

  it('reports every problem, capped, with long messages cut short', () => {
    const attrs = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a${i}`, {}]));
    const errors = errorsFor({ ...VALID['conversation.upserted'], attributes: attrs });
    expect(errors).toHaveLength(MAX_ERRORS_PER_EVENT + 1);
    expect(errors.at(-1)).toBe('(and 20 more problems)');
    const hugeKey = 'k'.repeat(100_000);
    const [message = ''] = errorsFor({ ...VALID['account.resync'], [hugeKey]: 1 });
    expect(message.length).toBeLessThanOrEqual(500);
    expect(message).toMatch(/^k+…$/);
  });

  it('refuses deep nesting before the schema walks it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: [deep] };
    expect(errorsFor({ ...VALID['account.resync'], extra: deep })).toEqual([
      `extra.a[0].a…: nested too deeply; at most ${MAX_EVENT_DEPTH} levels are allowed`,
    ]);
    expect(errorsFor(deep)).toEqual([
      `a[0].a[0]…: nested too deeply; at most ${MAX_EVENT_DEPTH} levels are allowed`,
    ]);
  });

  it('survives values JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = { ...VALID['account.resync'] };
    cyclic['self'] = cyclic;
    expect(errorsFor(cyclic)).toEqual([
      'self: unknown key; a "account.resync" event allows only id, type, account, at',
    ]);
    const throwing = Object.defineProperty({}, 'id', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(errorsFor(throwing)).toEqual(['(root): could not be validated: boom']);
    expect(errorsFor({ ...VALID['account.resync'], at: 10n })).toEqual([
      'at: expected epoch milliseconds (a number), got a bigint',
    ]);
  });
});

describe('parseNdjsonLine', () => {
  it('reports JSON syntax errors as "not JSON"', () => {
    const [error = ''] = (parseNdjsonLine('{"id":') as { errors: string[] }).errors;
    expect(error).toBe('not JSON: Unexpected end of JSON input');
    expect(parseNdjsonLine("{'id':1}")).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^not JSON: /)],
    });
    expect(parseNdjsonLine('{"a":1}}')).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^not JSON: /)],
    });
    expect(parseNdjsonLine('   ')).toEqual({ ok: false, errors: ['not JSON: empty line'] });
  });

  it('validates what parses', () => {
    expect(parseNdjsonLine('[]')).toEqual({
      ok: false,
      errors: ['(root): expected an event object, got a list'],
    });
    expect(parseNdjsonLine('null')).toEqual({
      ok: false,
      errors: ['(root): expected an event object, got null'],
    });
  });

  it('ignores a byte-order mark and a trailing carriage return', () => {
    const line = JSON.stringify(VALID['account.resync']);
    expect(parseNdjsonLine(`\uFEFF${line}\r`)).toEqual({ ok: true, event: VALID['account.resync'] });
  });

  it('stays fast on a huge or deeply nested line', () => {
    // this thread's CPU time, not the wall clock: a loaded machine stretches the latter
    const started = process.threadCpuUsage();
    const huge = JSON.stringify({ ...VALID['account.resync'], id: 'x'.repeat(1_000_000) });
    expect(parseNdjsonLine(huge)).toEqual({ ok: false, errors: ['id: must be at most 128 characters'] });
    expect(parseNdjsonLine('x'.repeat(1_000_000)).ok).toBe(false);
    const nested = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(parseNdjsonLine(nested)).toEqual({
      ok: false,
      errors: [`[0][0][0][0]…: nested too deeply; at most ${MAX_EVENT_DEPTH} levels are allowed`],
    });
    const { user, system } = process.threadCpuUsage(started);
    expect((user + system) / 1000).toBeLessThan(2000);
  });
});

describe('properties', () => {
  const neverThrows = (input: unknown) => {
    const result = validateEvent(input);
    expect(typeof result.ok).toBe('boolean');
    if (!result.ok) {
      expect(result.errors.length).toBeGreaterThan(0);
      for (const e of result.errors) expect(typeof e).toBe('string');
    }
  };

  it('never throws on any JSON value, any value, or any string', () => {
    fc.assert(fc.property(fc.jsonValue(), neverThrows), { numRuns: 500 });
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withTypedArray: true }), neverThrows),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (line) => {
        expect(typeof parseNdjsonLine(line).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on events with random values in their fields', () => {
    fc.assert(fc.property(mutatedEvent, neverThrows), { numRuns: 500 });
  });

  it('every generated valid event is accepted and round-trips through JSON unchanged', () => {
    fc.assert(
      fc.property(domainEvent, (event) => {
        const result = parseNdjsonLine(JSON.stringify(event));
        if (!result.ok) throw new Error(result.errors.join('; '));
        expect(result.event).toEqual(event);
        expect(JSON.stringify(result.event)).toBe(JSON.stringify(event));
      }),
      { numRuns: 500 },
    );
  });

  it('every type is generated (the arbitraries cover the contract)', () => {
    for (const type of EVENT_TYPES) {
      fc.assert(
        fc.property(eventsByType[type], (event) => validateEvent(event).ok),
        { numRuns: 50 },
      );
    }
  });

  it('adding an unknown key to a valid event always refuses it at that key', () => {
    const key = fc
      .string({ minLength: 1, maxLength: 10 })
      .filter(
        (k) =>
          ![
            'id',
            'type',
            'account',
            'at',
            'conversation',
            'attributes',
            'tag',
            'folder',
            'folderId',
          ].includes(k),
      );
    fc.assert(
      fc.property(domainEvent, key, fc.jsonValue(), (event, k, value) => {
        const input = JSON.parse(JSON.stringify(event));
        Object.defineProperty(input, k, { value, enumerable: true, configurable: true, writable: true });
        const result = validateEvent(input);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.errors.some((e) => e.includes('unknown key'))).toBe(true);
      }),
    );
  });

  it('attributes with a reserved or flag name are checked whatever else is there', () => {
    fc.assert(
      fc.property(attributes, fc.jsonValue(), (attrs, tags) => {
        const result = validateEvent({ ...VALID['conversation.upserted'], attributes: { ...attrs, tags } });
        expect(result).toMatchObject({ ok: false });
        if (!result.ok)
          expect(result.errors).toContain(
            'attributes.tags: reserved; use conversation.tagged / conversation.untagged',
          );
      }),
    );
  });
});
