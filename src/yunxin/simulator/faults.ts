import { z } from 'zod';
import { ENDPOINTS, type EndpointName } from '../endpoints.js';

const probability = z.number().min(0).max(1);
const endpointName = z.enum(Object.keys(ENDPOINTS) as [EndpointName, ...EndpointName[]]);

/** Fault injection, set at start and changeable at run time (admin endpoint or in-process). */
export const faultsSchema = z.strictObject({
  /** probability of a server error answer */
  serverErrorRate: probability.default(0),
  serverErrorCodes: z.array(z.number().int()).min(1).default([500, 503]),
  /** 'body': HTTP 200 with the code (how Yunxin answers); 'http': that HTTP status, as a gateway would */
  serverErrorAs: z.enum(['body', 'http']).default('body'),
  /** probability of a 416 regardless of the bucket (a "416 storm"); also starts the blocking period */
  rateLimitRate: probability.default(0),
  /** added to every answer */
  latencyMs: z.number().nonnegative().default(0),
  latencyJitterMs: z.number().nonnegative().default(0),
  /** apply-then-stall: the change is applied, the answer held for stallMs (past the client's timeout) */
  stallRate: probability.default(0),
  stallMs: z.number().nonnegative().default(15_000),
  stallEndpoints: z.array(endpointName).default(['group.create']),
  /** probability that each conversation id of an add/remove fails alone with 110449 */
  itemTransientRate: probability.default(0),
  /** faults apply only to these endpoints; empty = all */
  endpoints: z.array(endpointName).default([]),
});
export type Faults = z.output<typeof faultsSchema>;
export type FaultsInput = z.input<typeof faultsSchema>;

export const NO_FAULTS: Faults = faultsSchema.parse({});

/** Small seeded PRNG (mulberry32) so a fault run can be replayed with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
