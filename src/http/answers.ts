import { z } from 'zod';

/**
 * The JSON answers of the HTTP app. Handlers build them typed by these schemas, and
 * docs/openapi.json shows them (objects are closed there: a field added here is a field documented).
 */

/** Refusals listed in one answer: the first ones, with the total (10,000 bad events made 10 MB). */
export const MAX_REFUSALS_LISTED = 100;

const count = z.int().min(0);

export const refusalSchema = z
  .object({
    index: count.describe(
      'the event’s position in the body: its index in the JSON array, or among the non-blank NDJSON lines',
    ),
    id: z.string().optional().describe('the event’s id, when it had a string one'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('the field, e.g. `conversation.type`; `(root)` for the event as a whole'),
          reason: z.string(),
        }),
      )
      .min(1),
  })
  .describe('an event that was not accepted, and why');

export const ingestAnswerSchema = z
  .object({
    accepted: count.describe('events queued'),
    refused: z
      .array(refusalSchema)
      .max(MAX_REFUSALS_LISTED)
      .describe(`the first ${MAX_REFUSALS_LISTED} refused events, in body order`),
    refusedTotal: count.describe('every refused event'),
  })
  .describe('the valid events are queued; refused ones are listed, nothing else in the body is lost');

export const errorAnswerSchema = z
  .object({ error: z.string() })
  .describe('why the request as a whole was not taken');

export const healthAnswerSchema = z.object({ status: z.literal('ok') });

export const readinessAnswerSchema = z.object({
  status: z
    .enum(['ready', 'degraded', 'not ready'])
    .describe('degraded: ready, yet something an operator must fix (the provider refuses the credentials)'),
  checks: z.record(z.string(), z.boolean()).describe('each condition of readiness'),
  fleet: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('for operators, not a contract: the rules running, a held rules change, Redis data loss'),
});

export type Refusal = z.output<typeof refusalSchema>;
export type IngestAnswer = z.output<typeof ingestAnswerSchema>;
export type ErrorAnswer = z.output<typeof errorAnswerSchema>;
export type HealthAnswer = z.output<typeof healthAnswerSchema>;
export type ReadinessAnswer = z.output<typeof readinessAnswerSchema>;
