import { afterAll, describe, expect, it } from 'vitest';
import { packagesImported } from '../support/cli-imports.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('otel-cli');
afterAll(() => deleteKeys(redisUrl(), prefix));

/** This process's environment without OTEL_* variables, plus `otel`. */
function env(otel: Record<string, string>): NodeJS.ProcessEnv {
  const rest = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
  return { ...rest, REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, ...otel };
}

const isOtel = (name: string) => name.includes('opentelemetry') || name.includes('otel');

describe('folder-sync with and without OTEL_* variables', () => {
  it('without them, a command loads no OpenTelemetry package but the API', async () => {
    const { packages } = await packagesImported(['publish', '/dev/null'], env({}));
    expect(packages).toContain('bullmq');
    expect(packages.filter(isOtel)).toEqual(['@opentelemetry/api']);
  });

  it('with them, the SDK and its instrumentations load before BullMQ and ioredis', async () => {
    const { packages } = await packagesImported(
      ['publish', '/dev/null'],
      env({ OTEL_TRACES_EXPORTER: 'console' }),
    );
    expect(packages).toEqual(
      expect.arrayContaining([
        '@opentelemetry/sdk-node',
        '@opentelemetry/instrumentation-ioredis',
        '@opentelemetry/instrumentation-undici',
        'bullmq-otel',
      ]),
    );
    const sdk = packages.indexOf('@opentelemetry/sdk-node');
    for (const instrumented of ['bullmq', 'ioredis'])
      expect(packages.indexOf(instrumented)).toBeGreaterThan(sdk);
  });

  it('help loads none of it, asked or not', async () => {
    const { packages } = await packagesImported(['worker', '--help'], env({ OTEL_TRACES_EXPORTER: 'otlp' }));
    expect(packages).toEqual(['commander']);
  });
});
