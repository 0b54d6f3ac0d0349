import { z } from 'zod';

const probability = z.number().min(0).max(1);

/**
 * Fault injection, set at start and changeable at run time (admin endpoint or in-process), the
 * same for every provider's simulator; `defaults` are the provider's own codes and endpoints.
 */
export function faultsSchemaFor<E extends string>(
  endpoints: readonly [E, ...E[]],
  defaults: { serverErrorCodes: number[]; stallEndpoints: E[] },
) {
  const endpointName = z.enum(endpoints);
  return z.strictObject({
    /** probability of a server error answer */
    serverErrorRate: probability.default(0),
    serverErrorCodes: z.array(z.number().int()).min(1).default(defaults.serverErrorCodes),
    /** 'body': HTTP 200 with the code (how both providers answer); 'http': an HTTP 5xx, as a gateway would */
    serverErrorAs: z.enum(['body', 'http']).default('body'),
    /** probability of a rate-limit answer regardless of the bucket (a "storm"); also starts the blocking period */
    rateLimitRate: probability.default(0),
    /** added to every answer */
    latencyMs: z.number().nonnegative().default(0),
    latencyJitterMs: z.number().nonnegative().default(0),
    /** apply-then-stall: the change is applied, the answer held for stallMs (past the client's timeout) */
    stallRate: probability.default(0),
    stallMs: z.number().nonnegative().default(15_000),
    stallEndpoints: z.array(endpointName).default(defaults.stallEndpoints),
    /** probability that each conversation of an add/remove fails alone with the provider's retry code */
    itemTransientRate: probability.default(0),
    /** faults apply only to these endpoints; empty = all */
    endpoints: z.array(endpointName).default([]),
  });
}
export type FaultsSchema<E extends string = string> = ReturnType<typeof faultsSchemaFor<E>>;
export type Faults<E extends string = string> = z.output<FaultsSchema<E>>;
export type FaultsInput<E extends string = string> = z.input<FaultsSchema<E>>;

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
