import { defineConfig } from 'vitest/config';

/**
 * The reliability suite (docs/reliability.md): `npm run test:reliability`, sized by
 * RELIABILITY_PROFILE=quick|full, replayed with RELIABILITY_SEED. Scenario files run one after
 * another: each starts worker processes and measures call rates, and a second scenario on the
 * same two cores would only add noise.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
