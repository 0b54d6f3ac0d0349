import { type Config, ConfigError, loadConfig } from '../config.js';
import { LayoutMismatchError } from '../fleet/deployment.js';
import { isRedisAuthError } from '../redis/errors.js';
import { EvictionPolicyError } from '../redis/eviction.js';
import { RulesFileError } from '../rules/load.js';
import { EXIT } from './exit-codes.js';

/** Loads the configuration, or prints the one precise message and exits 2. */
export const configOrExit = (env: NodeJS.ProcessEnv = process.env): Config => orExit(() => loadConfig(env));

/** What `read` returns, or, when it throws a ConfigError, its message printed and exit 2. */
export function orExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT.usage);
    }
    throw error;
  }
}

/**
 * Configuration problems found while starting (rules file, credentials, a Redis password it
 * refuses, a Redis that may evict keys) exit 2 as well.
 */
export function isConfigProblem(error: unknown): boolean {
  return (
    error instanceof ConfigError ||
    error instanceof RulesFileError ||
    error instanceof EvictionPolicyError ||
    error instanceof LayoutMismatchError ||
    isRedisAuthError(error) ||
    (error instanceof Error && /are required/.test(error.message))
  );
}
