import { z } from 'zod';
import { type ConversationKey, conversationKey } from '../rules/evaluate.js';
import { expected, isRecord, kindOf } from '../rules/messages.js';
import {
  ATTR_NAME_PATTERN,
  conversationRefSchema,
  userFolderIdSchema,
  userFolderSchema,
} from '../rules/schema.js';
import { standIns } from '../stand-ins.js';

/**
 * The public event contract: what apps publish, one JSON object per event (NDJSON in files
 * and streams). Apps depend on these shapes exactly; every object is strict, so a typo in a
 * key is refused instead of silently ignored.
 *
 * Messages follow the rules schema's style (`required; expected …`, `expected …, got …`,
 * `must …`); `validateEvent` prefixes each with its path (`conversation.type: …`).
 */

/** Every event type, in the order error messages list them. The one place they are named. */
export const EVENT_TYPES = [
  'conversation.upserted',
  'conversation.pinned',
  'conversation.unpinned',
  'conversation.muted',
  'conversation.unmuted',
  'conversation.archived',
  'conversation.unarchived',
  'conversation.tagged',
  'conversation.untagged',
  'conversation.removed',
  'folder.upserted',
  'folder.deleted',
  'account.resync',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const MAX_EVENT_ID_LENGTH = 128;
export const MAX_ACCOUNT_LENGTH = 128;
export const MAX_TAG_LENGTH = 128;
export const MAX_ATTRIBUTES_PER_EVENT = 64;
export const MAX_ATTRIBUTE_NAME_LENGTH = 64;
export const MAX_ATTRIBUTE_STRING_LENGTH = 1024;
export const MAX_ATTRIBUTE_LIST_ITEMS = 100;

/** The attribute that only `conversation.tagged` / `conversation.untagged` may change. */
export const RESERVED_TAGS_ATTRIBUTE = 'tags';
/** Attributes the flag events also set; an upsert may set them too, but only to a boolean (or null). */
export const FLAG_ATTRIBUTES = ['pinned', 'muted', 'archived'] as const;

/** The boolean attribute each flag event sets, and to what. */
export const FLAG_EVENTS: Readonly<
  Record<string, readonly [attribute: (typeof FLAG_ATTRIBUTES)[number], value: boolean]>
> = {
  'conversation.pinned': ['pinned', true],
  'conversation.unpinned': ['pinned', false],
  'conversation.muted': ['muted', true],
  'conversation.unmuted': ['muted', false],
  'conversation.archived': ['archived', true],
  'conversation.unarchived': ['archived', false],
};

// ---------------------------------------------------------------------------------------------
// Message helpers (the wording of src/rules/messages.ts)

/** A value quoted for a message, cut short so a huge input never makes a huge message. */
function quoteForMessage(value: string, max = 64): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}

function strictObject<Shape extends z.ZodRawShape>(shape: Shape, what: string) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key; ${what} allows only ${allowed}`
        : expected(`${what} object`)(issue),
  });
}

/**
 * No C0 control, DEL or C1 control (\p{Cc}). Checks are patterns, not refinements, so that
 * docs/openapi.json states them; spelled as \x ranges, which every regex engine reads alike.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1F\x7F-\x9F]*$/;

/** 1..max characters, no control characters; each check aborts so one bad value gives one message. */
const textField = (what: string, max: number) =>
  z
    .string({ error: expected(`${what} (string)`) })
    .min(1, { message: 'must not be empty', abort: true })
    .max(max, { message: `must be at most ${max} characters`, abort: true })
    .regex(NO_CONTROL_CHARACTERS, { message: 'must not contain control characters', abort: true });

// ---------------------------------------------------------------------------------------------
// Fields

export const eventIdSchema = textField('an event id', MAX_EVENT_ID_LENGTH).describe(
  'the idempotency key: an id seen in the last 24 h is ignored; unique per app, not only per account',
);

export const accountSchema = textField('an account', MAX_ACCOUNT_LENGTH)
  .regex(/^[^|]*$/, { message: 'must not contain "|"' })
  .describe('the Yunxin account whose folders change');

/** Epoch milliseconds when it happened in the app (`int`, `min`: not refinements, so JSON Schema shows them). */
export const eventTimeSchema = z
  .number({ error: expected('epoch milliseconds (a number)') })
  .int({
    // `int` also refuses integers beyond ±2^53 - 1, as too big or too small
    error: (issue) =>
      issue.code === 'too_big'
        ? `must be at most ${Number.MAX_SAFE_INTEGER}`
        : issue.code === 'too_small'
          ? 'must not be negative'
          : 'must be a whole number of milliseconds',
    abort: true,
  })
  .min(0, { message: 'must not be negative' })
  .describe('epoch ms when it happened in the app; an older event never overwrites a newer fact');

export const tagSchema = textField('a tag', MAX_TAG_LENGTH);

/** string | finite number | boolean | string[]; null removes the attribute. */
export type EventAttrValue = string | number | boolean | string[] | null;
export type EventAttributes = Record<string, EventAttrValue>;

const attrString = z
  .string({ error: expected('a string') })
  .max(MAX_ATTRIBUTE_STRING_LENGTH, `must be at most ${MAX_ATTRIBUTE_STRING_LENGTH} characters`);

const attrValueSchema: z.ZodType<EventAttrValue, unknown> = z.unknown().transform((value, ctx) => {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    ctx.addIssue({ code: 'custom', message: `must be a finite number, got ${value}` });
    return z.NEVER;
  }
  if (typeof value === 'string') return reraise(attrString.safeParse(value), ctx, []);
  if (Array.isArray(value)) {
    if (value.length > MAX_ATTRIBUTE_LIST_ITEMS) {
      ctx.addIssue({
        code: 'custom',
        message: `must have at most ${MAX_ATTRIBUTE_LIST_ITEMS} items, got ${value.length}`,
      });
      return z.NEVER;
    }
    const items: string[] = [];
    let failed = false;
    value.forEach((item, index) => {
      const parsed = attrString.safeParse(item);
      if (parsed.success) items.push(parsed.data);
      else {
        failed = true;
        reraise(parsed, ctx, [index]);
      }
    });
    return failed ? z.NEVER : items;
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected a string, number, boolean, list of strings or null, got ${kindOf(value)}`,
  });
  return z.NEVER;
});

const flagValueSchema = z.union([z.boolean(), z.null()], { error: expected('true, false or null') });

const attrNameProblem = (name: string): string | undefined => {
  if (name === '') return 'invalid attribute name: must not be empty';
  if (name.length > MAX_ATTRIBUTE_NAME_LENGTH)
    return `invalid attribute name: must be at most ${MAX_ATTRIBUTE_NAME_LENGTH} characters`;
  if (!ATTR_NAME_PATTERN.test(name)) return `invalid attribute name: must match ${ATTR_NAME_PATTERN.source}`;
  if (name === RESERVED_TAGS_ATTRIBUTE) return 'reserved; use conversation.tagged / conversation.untagged';
  return undefined;
};

/** Copies a nested parse's issues into `ctx` under `prefix`; returns the data or z.NEVER. */
function reraise<T>(
  result: z.ZodSafeParseResult<T>,
  ctx: z.RefinementCtx,
  prefix: readonly PropertyKey[],
): T | typeof z.NEVER {
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    ctx.addIssue({ ...issue, path: [...prefix, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
  }
  return z.NEVER;
}

/**
 * The attributes of an upsert. Written out (not `z.record`) so each problem is reported at
 * its attribute's path with the contract's reason, and so the copy keeps names like
 * `__proto__` as plain own properties.
 */
export const attributesSchema: z.ZodType<EventAttributes, unknown> = z.unknown().transform((input, ctx) => {
  if (!isRecord(input)) {
    ctx.addIssue({ code: 'custom', message: expected('an attributes object')({ input }) });
    return z.NEVER;
  }
  const names = Object.keys(input);
  if (names.length > MAX_ATTRIBUTES_PER_EVENT) {
    ctx.addIssue({
      code: 'custom',
      message: `must have at most ${MAX_ATTRIBUTES_PER_EVENT} attributes, got ${names.length}`,
    });
    return z.NEVER;
  }
  const entries: [string, EventAttrValue][] = [];
  let failed = false;
  for (const name of names) {
    const problem = attrNameProblem(name);
    if (problem !== undefined) {
      failed = true;
      ctx.addIssue({ code: 'custom', path: [name], message: problem });
      continue;
    }
    const schema = (FLAG_ATTRIBUTES as readonly string[]).includes(name) ? flagValueSchema : attrValueSchema;
    const parsed = schema.safeParse(input[name]);
    if (parsed.success) entries.push([name, parsed.data]);
    else {
      failed = true;
      reraise(parsed, ctx, [name]);
    }
  }
  // fromEntries defines own properties, so a `__proto__` attribute stays data.
  return failed ? z.NEVER : Object.fromEntries(entries);
});

/** What `attributesSchema` accepts, declaratively, for docs/openapi.json (see src/stand-ins.ts). */
export const attributesStandIn = z
  .object(Object.fromEntries(FLAG_ATTRIBUTES.map((name) => [name, flagValueSchema.optional()])))
  .catchall(
    z.union([
      attrString,
      z.number(),
      z.boolean(),
      z.array(attrString).max(MAX_ATTRIBUTE_LIST_ITEMS),
      z.null(),
    ]),
  )
  // JSON Schema keywords zod has no method for
  .meta({
    maxProperties: MAX_ATTRIBUTES_PER_EVENT,
    propertyNames: {
      minLength: 1,
      maxLength: MAX_ATTRIBUTE_NAME_LENGTH,
      pattern: ATTR_NAME_PATTERN.source,
      not: { const: RESERVED_TAGS_ATTRIBUTE },
    },
  });
standIns.set(attributesSchema, attributesStandIn);

// ---------------------------------------------------------------------------------------------
// Events

const base = <T extends EventType>(type: T) => ({
  id: eventIdSchema,
  type: z.literal(type),
  account: accountSchema,
  at: eventTimeSchema,
});

const eventObject = <T extends EventType, Extra extends z.ZodRawShape>(type: T, extra: Extra) =>
  strictObject({ ...base(type), ...extra }, `a "${type}" event`);

/** An event about one conversation with nothing else to say (pin, mute, archive, remove). */
const conversationEvent = <T extends EventType>(type: T) =>
  eventObject(type, { conversation: conversationRefSchema });

export const conversationUpsertedSchema = eventObject('conversation.upserted', {
  conversation: conversationRefSchema,
  attributes: attributesSchema,
});
export const conversationPinnedSchema = conversationEvent('conversation.pinned');
export const conversationUnpinnedSchema = conversationEvent('conversation.unpinned');
export const conversationMutedSchema = conversationEvent('conversation.muted');
export const conversationUnmutedSchema = conversationEvent('conversation.unmuted');
export const conversationArchivedSchema = conversationEvent('conversation.archived');
export const conversationUnarchivedSchema = conversationEvent('conversation.unarchived');
export const conversationTaggedSchema = eventObject('conversation.tagged', {
  conversation: conversationRefSchema,
  tag: tagSchema,
});
export const conversationUntaggedSchema = eventObject('conversation.untagged', {
  conversation: conversationRefSchema,
  tag: tagSchema,
});
export const conversationRemovedSchema = conversationEvent('conversation.removed');
export const folderUpsertedSchema = eventObject('folder.upserted', { folder: userFolderSchema });
export const folderDeletedSchema = eventObject('folder.deleted', { folderId: userFolderIdSchema });
export const accountResyncSchema = eventObject('account.resync', {});

const typeProblem = (input: unknown): string => {
  const listed = `expected one of ${EVENT_TYPES.join(', ')}`;
  const type = isRecord(input) && Object.hasOwn(input, 'type') ? input['type'] : undefined;
  if (type === undefined) return `required; ${listed}`;
  if (typeof type !== 'string') return `expected an event type (string), got ${kindOf(type)}; ${listed}`;
  return `unknown event type ${quoteForMessage(type)}; ${listed}`;
};

/**
 * Any event, chosen by `type`. A missing or unknown `type` is reported at `type` with the list
 * of valid types; anything that is not an object is reported at the root.
 */
export const domainEventSchema = z.discriminatedUnion(
  'type',
  [
    conversationUpsertedSchema,
    conversationPinnedSchema,
    conversationUnpinnedSchema,
    conversationMutedSchema,
    conversationUnmutedSchema,
    conversationArchivedSchema,
    conversationUnarchivedSchema,
    conversationTaggedSchema,
    conversationUntaggedSchema,
    conversationRemovedSchema,
    folderUpsertedSchema,
    folderDeletedSchema,
    accountResyncSchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? typeProblem(issue.input) : expected('an event object')(issue),
  },
);

export type DomainEvent = z.output<typeof domainEventSchema>;
export type ConversationUpsertedEvent = z.output<typeof conversationUpsertedSchema>;
export type ConversationPinnedEvent = z.output<typeof conversationPinnedSchema>;
export type ConversationUnpinnedEvent = z.output<typeof conversationUnpinnedSchema>;
export type ConversationMutedEvent = z.output<typeof conversationMutedSchema>;
export type ConversationUnmutedEvent = z.output<typeof conversationUnmutedSchema>;
export type ConversationArchivedEvent = z.output<typeof conversationArchivedSchema>;
export type ConversationUnarchivedEvent = z.output<typeof conversationUnarchivedSchema>;
export type ConversationTaggedEvent = z.output<typeof conversationTaggedSchema>;
export type ConversationUntaggedEvent = z.output<typeof conversationUntaggedSchema>;
export type ConversationRemovedEvent = z.output<typeof conversationRemovedSchema>;
export type FolderUpsertedEvent = z.output<typeof folderUpsertedSchema>;
export type FolderDeletedEvent = z.output<typeof folderDeletedSchema>;
export type AccountResyncEvent = z.output<typeof accountResyncSchema>;

/** The event of one type: `EventOf<'conversation.tagged'>`. */
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;
/** Events that concern one conversation (everything but folder.* and account.resync). */
export type ConversationEvent = Extract<DomainEvent, { conversation: unknown }>;

// EVENT_TYPES and the union must name the same types; this fails to compile when they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesMatch: Same<EventType, DomainEvent['type']> = true;
void typesMatch;

export const isEventType = (value: unknown): value is EventType =>
  typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);

export const isConversationEvent = (event: DomainEvent): event is ConversationEvent =>
  'conversation' in event;

/** `${type}|${target}` of the event's conversation; undefined for folder.* and account.resync. */
export function eventConversationKey(event: DomainEvent): ConversationKey | undefined {
  return isConversationEvent(event) ? conversationKey(event.conversation) : undefined;
}
