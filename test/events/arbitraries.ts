import fc from 'fast-check';
import {
  type DomainEvent,
  EVENT_TYPES,
  type EventAttributes,
  type EventAttrValue,
  type EventType,
  MAX_ATTRIBUTE_LIST_ITEMS,
  MAX_ATTRIBUTE_STRING_LENGTH,
} from '../../src/events/schema.js';
import { conversationRef, userFolder } from '../rules/arbitraries.js';

const noControl = (s: string) => !/\p{Cc}/u.test(s);

/** 1..max UTF-16 units of any Unicode (lone surrogates included), no control characters. */
const text = (max: number) =>
  fc.string({ unit: 'binary', minLength: 1, maxLength: max }).filter((s) => s.length <= max && noControl(s));

export const eventId = fc.oneof(fc.stringMatching(/^[a-z]+-[0-9]{1,6}$/), fc.uuid(), text(128));
export const account = fc.oneof(
  fc.constantFrom('alice', 'bob', 'carol'),
  text(128).filter((s) => !s.includes('|')),
);
/** Up to a moment before these tests were written: never ahead of the server clock. */
export const at = fc.oneof(
  fc.integer({ min: 1_700_000_000_000, max: 1_790_000_000_000 }),
  fc.nat({ max: 1_790_000_000_000 }),
);
export const tag = text(128);

const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)); // JSON has no -0
const attrString = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s.length <= 40);

export const attrValue: fc.Arbitrary<EventAttrValue> = fc.oneof(
  attrString,
  finite,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(attrString, { maxLength: 5 }),
);

const attrName = fc
  .oneof(
    fc.constantFrom('kind', 'name', 'priority', 'x-y', 'a.b', '_x'),
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,20}$/),
  )
  .filter((n) => n !== 'tags' && n !== 'pinned' && n !== 'muted' && n !== 'archived');

export const attributes: fc.Arbitrary<EventAttributes> = fc
  .tuple(
    fc.dictionary(attrName, attrValue, { maxKeys: 8, noNullPrototype: true }),
    fc.record(
      {
        pinned: fc.oneof(fc.boolean(), fc.constant(null)),
        muted: fc.oneof(fc.boolean(), fc.constant(null)),
        archived: fc.oneof(fc.boolean(), fc.constant(null)),
      },
      { requiredKeys: [] },
    ),
  )
  .map(([free, flags]) => ({ ...free, ...flags }));

/** The largest attribute values the contract allows. */
export const maxAttrString = 'x'.repeat(MAX_ATTRIBUTE_STRING_LENGTH);
export const maxAttrList = Array.from({ length: MAX_ATTRIBUTE_LIST_ITEMS }, () => maxAttrString);

const head = <T extends EventType>(type: T) => ({ id: eventId, type: fc.constant(type), account, at });

type Arbs = { [T in EventType]: fc.Arbitrary<Extract<DomainEvent, { type: T }>> };

/** A valid event of every type, keys in the schema's order. */
export const eventsByType: Arbs = {
  'conversation.upserted': fc.record({
    ...head('conversation.upserted'),
    conversation: conversationRef,
    attributes,
  }),
  'conversation.pinned': fc.record({ ...head('conversation.pinned'), conversation: conversationRef }),
  'conversation.unpinned': fc.record({ ...head('conversation.unpinned'), conversation: conversationRef }),
  'conversation.muted': fc.record({ ...head('conversation.muted'), conversation: conversationRef }),
  'conversation.unmuted': fc.record({ ...head('conversation.unmuted'), conversation: conversationRef }),
  'conversation.archived': fc.record({ ...head('conversation.archived'), conversation: conversationRef }),
  'conversation.unarchived': fc.record({ ...head('conversation.unarchived'), conversation: conversationRef }),
  'conversation.tagged': fc.record({ ...head('conversation.tagged'), conversation: conversationRef, tag }),
  'conversation.untagged': fc.record({
    ...head('conversation.untagged'),
    conversation: conversationRef,
    tag,
  }),
  'conversation.removed': fc.record({ ...head('conversation.removed'), conversation: conversationRef }),
  'folder.upserted': fc.record({ ...head('folder.upserted'), folder: userFolder }),
  'folder.deleted': fc.record({
    ...head('folder.deleted'),
    folderId: fc.string({ minLength: 1, maxLength: 128 }).filter((s) => !/[|:]/.test(s)),
  }),
  'account.resync': fc.record(head('account.resync')),
};

export const domainEvent: fc.Arbitrary<DomainEvent> = fc.oneof(...EVENT_TYPES.map((t) => eventsByType[t]));

/** A valid event with one field (or an unknown one, `x`) set to any JSON value. */
export const mutatedEvent = fc
  .tuple(
    domainEvent,
    fc.constantFrom(
      'id',
      'type',
      'account',
      'at',
      'conversation',
      'attributes',
      'tag',
      'folder',
      'folderId',
      'x',
    ),
    fc.jsonValue(),
  )
  .map(([event, key, value]) => ({ ...event, [key]: value }));
