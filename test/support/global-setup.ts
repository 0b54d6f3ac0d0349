import type { TestProject } from 'vitest/node';
import { findRedis } from '../../src/redis/discover.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisError: string;
  }
}

/** Finds Redis once per run; tests that need it call redisUrl() and fail with one clear message. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const redis = await findRedis();
    project.provide('redisUrl', redis.url);
    project.provide('redisError', '');
    return redis.stop;
  } catch (error) {
    project.provide('redisUrl', '');
    project.provide('redisError', (error as Error).message);
    return async () => {};
  }
}
