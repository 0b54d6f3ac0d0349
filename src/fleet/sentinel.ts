import { z } from 'zod';
import type { RedisClient } from '../jobs/connection.js';
import type { Keys } from '../store/keys.js';

/**
 * The deployment sentinel, written once at the first start. Its epoch names the Redis data
 * set the ledgers were built in: when Redis is found to have lost data, a new sentinel with a
 * new epoch is written, and every ledger of another epoch is re-adopted from the provider.
 * Apart from `Deployment` (./deployment.ts), which writes it, so that the lean publisher can
 * read its partition count without the service's logger.
 */
export interface DeploymentRecord {
  epoch: string;
  createdAt: number;
  /**
   * the number of partitions accounts are hashed into: fixed when the deployment is created, the
   * same for every process (absent: a deployment of the single-slot layout, before 0.3)
   */
  partitions?: number;
  /** set when this epoch began because Redis had lost data: when it was found, and how */
  dataLoss?: { at: number; reason: string };
}

const recordCodec = z.object({
  epoch: z.string().min(1),
  createdAt: z.number().int(),
  partitions: z.number().int().min(1).optional(),
  dataLoss: z.object({ at: z.number().int(), reason: z.string() }).optional(),
});

export function parseDeployment(text: string | null): DeploymentRecord | undefined {
  if (text === null) return undefined;
  try {
    const parsed = recordCodec.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The deployment's partition count as stored, or undefined when no sentinel is written yet. */
export async function storedPartitions(
  redis: RedisClient,
  keys: Pick<Keys, 'deployment'>,
): Promise<number | undefined> {
  return parseDeployment(await redis.get(keys.deployment))?.partitions;
}
