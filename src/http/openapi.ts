import { z } from 'zod';
import { attributesStandIn, domainEventSchema, EVENT_TYPES } from '../events/schema.js';
import { conversationRefSchema, RULE_SHAPES, ruleStandIn, userFolderSchema } from '../rules/schema.js';
import { standIns } from '../stand-ins.js';
import {
  errorAnswerSchema,
  healthAnswerSchema,
  ingestAnswerSchema,
  readinessAnswerSchema,
  refusalSchema,
} from './answers.js';
import { MAX_EVENTS_PER_REQUEST } from './ingest.js';

/**
 * The ingest API as an OpenAPI 3.1 document, made from the schemas that validate requests and
 * type answers: served at /openapi.json, written to docs/openapi.json by scripts/openapi.ts.
 * Requests are shown as what they accept (zod's input side), answers as what they hold (output).
 */

type JsonSchema = Record<string, unknown>;
type Ids = z.core.$ZodRegistry<{ id: string }>;

const COMPONENTS = '#/components/schemas/';
const ref = (id: string) => ({ $ref: `${COMPONENTS}${id}` });
const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** `conversation.pinned` → `ConversationPinnedEvent` */
const eventId = (type: string) => `${type.split('.').map(capitalized).join('')}Event`;

/** Named schemas of the requests. */
function requestIds(): Ids {
  const ids = z.registry<{ id: string }>();
  ids.add(z.array(domainEventSchema).max(MAX_EVENTS_PER_REQUEST), { id: 'Events' });
  ids.add(domainEventSchema, { id: 'Event' });
  for (const event of domainEventSchema.options) ids.add(event, { id: eventId(event.shape.type.value) });
  ids.add(conversationRefSchema, { id: 'Conversation' });
  ids.add(attributesStandIn, { id: 'Attributes' });
  ids.add(userFolderSchema, { id: 'UserFolder' });
  ids.add(ruleStandIn, { id: 'Rule' });
  for (const [key, shape] of Object.entries(RULE_SHAPES)) ids.add(shape, { id: `${capitalized(key)}Rule` });
  return ids;
}

function answerIds(): Ids {
  const ids = z.registry<{ id: string }>();
  ids.add(ingestAnswerSchema, { id: 'IngestAnswer' });
  ids.add(refusalSchema, { id: 'Refusal' });
  ids.add(errorAnswerSchema, { id: 'Error' });
  ids.add(healthAnswerSchema, { id: 'Health' });
  ids.add(readinessAnswerSchema, { id: 'Readiness' });
  return ids;
}

function componentSchemas(ids: Ids, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(ids, {
    io,
    uri: (id) => `${COMPONENTS}${id}`,
    override: ({ zodSchema, jsonSchema, path }) => {
      const standIn = standIns.get(zodSchema);
      if (standIn) {
        const id = ids.get(standIn)?.id;
        if (!id) throw new Error(`the stand-in at ${path.join('/')} needs a component id`);
        for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
        jsonSchema['$ref'] = `${COMPONENTS}${id}`;
      } else if (io === 'input' && zodSchema._zod.def.type === 'pipe') {
        // its input would show as `{}`, accepting anything
        throw new Error(`a transform without a stand-in at ${path.join('/')}: see src/stand-ins.ts`);
      }
      // zod types number literals as `number`; integers make an int, not a double, in a client
      const values = jsonSchema['enum'];
      if (jsonSchema['type'] === 'number' && Array.isArray(values) && values.every(Number.isInteger)) {
        jsonSchema['type'] = 'integer';
      }
    },
  });
  const { __shared, ...named } = schemas;
  if (__shared) throw new Error('a schema without a component id is shared: give it one');
  // `$id` (the would-be URI) and `$schema` are left out: the document's dialect covers both
  return Object.fromEntries(
    Object.entries(named).map(([id, { $id: _, $schema: __, ...schema }]) => [id, schema]),
  );
}

const answer = (id: string, description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: ref(id) } },
});

const INGEST_DESCRIPTION = `Publishes events (README, "The public contract"). Each event is validated on its own: \
valid ones are queued, refused ones are listed with the field and the reason, and nothing else \
in the body is lost. Resending is safe: an event id seen in the last 24 h is ignored. Besides \
what the schemas say, an event is refused with an \`at\` more than EVENT_MAX_FUTURE_MS (24 h) \
ahead of the server clock, a string that is not well-formed Unicode, a user folder rule nested \
deeper than 32 levels, with more than RULE_MAX_IN_VALUES (100) values in an \`in\` list or more \
than USER_FOLDER_MAX_RULE_SIZE (200) rule nodes and values, or when it would give an account \
more than ACCOUNT_MAX_CONVERSATIONS conversations or ACCOUNT_MAX_USER_FOLDERS user folders.`;

function build() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'yunxin-folder-sync ingest',
      // the /v1 contract
      version: '1',
      description: 'Publish chat-folder events to yunxin-folder-sync (`folder-sync serve`).',
    },
    paths: { '/v1/events': { post: publishEvents() }, ...probePaths() },
    components: {
      schemas: { ...requestSchemas(), ...componentSchemas(answerIds(), 'output') },
      securitySchemes: {
        ingestToken: { type: 'http', scheme: 'bearer', description: 'the INGEST_TOKEN the server runs with' },
      },
    },
  };
}

/** The request schemas, Event with OpenAPI's discriminator. */
function requestSchemas() {
  const requests = componentSchemas(requestIds(), 'input');
  // OpenAPI's own keyword, which JSON Schema lacks: client generators make one type per event from it
  requests['Event'] = {
    ...requests['Event'],
    discriminator: {
      propertyName: 'type',
      mapping: Object.fromEntries(EVENT_TYPES.map((type) => [type, ref(eventId(type)).$ref])),
    },
  };
  return requests;
}

/** POST /v1/events */
function publishEvents() {
  return {
    operationId: 'publishEvents',
    summary: 'Publish events',
    description: INGEST_DESCRIPTION,
    security: [{ ingestToken: [] }],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: ref('Events') },
        'application/x-ndjson': {
          schema: { type: 'string', description: 'one Event per line; blank lines are skipped' },
        },
      },
    },
    responses: {
      202: answer('IngestAnswer', 'the valid events are queued; the others are listed'),
      400: answer('Error', 'the body is empty, or starts as a JSON array but is not JSON'),
      401: answer('Error', 'no INGEST_TOKEN bearer token', {
        'WWW-Authenticate': { schema: { type: 'string' } },
      }),
      413: answer(
        'Error',
        `the body is over INGEST_MAX_BYTES (1 MiB by default) or holds over ${MAX_EVENTS_PER_REQUEST} events`,
      ),
      500: answer('Error', 'the server failed; nothing is known to be accepted, resend'),
      503: answer('Error', 'Redis did not take the events in 10 s: none was accepted, resend', {
        'Retry-After': { description: 'seconds', schema: { type: 'integer' } },
      }),
    },
  };
}

/** The probes and this document. */
function probePaths() {
  return {
    '/healthz': {
      get: { operationId: 'health', responses: { 200: answer('Health', 'the process is alive') } },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        responses: {
          200: answer('Readiness', 'Redis answers, the workers run, not shutting down'),
          503: answer('Readiness', 'a check failed'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        responses: {
          200: {
            description: 'this document',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
  };
}

let document: ReturnType<typeof build> | undefined;

export function openApiDocument(): ReturnType<typeof build> {
  document ??= build();
  return document;
}

/** docs/openapi.json's text. */
export const openApiJson = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;
