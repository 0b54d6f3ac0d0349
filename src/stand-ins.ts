import type { z } from 'zod';

/**
 * What a transform accepts, declared beside it. Some schemas parse with a transform so that each
 * problem gets a message naming it, but JSON Schema cannot show a transform (z.toJSONSchema
 * renders its input as `{}`). Each such schema declares a declarative stand-in here, which
 * docs/openapi.json shows in its place (src/http/openapi.ts). A stand-in never parses;
 * test/http/openapi.test.ts checks that it and the transform accept the same events.
 */
export const standIns = new WeakMap<z.core.$ZodType, z.core.$ZodType>();
