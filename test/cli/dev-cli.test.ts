/**
 * `folder-sync dev`: the whole stack in one process, with a simulator when no credentials are
 * set, and the demo's groups mirrored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, spawnCli } from '../support/processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

const spawned: Spawned[] = [];
afterEach(async () => {
  for (const p of spawned.splice(0)) await p.stop('SIGKILL');
});
const start = (args: string[], env: NodeJS.ProcessEnv) => {
  const p = spawnCli(args, env);
  spawned.push(p);
  return p;
};

describe('folder-sync dev', () => {
  it.each([
    ['Yunxin', 'the Yunxin simulator', { PROVIDER_APP_ID: '', PROVIDER_SECRET: '' }],
    [
      'Tencent',
      'with PROVIDER=tencent and no Tencent credentials, the Tencent simulator',
      { PROVIDER: 'tencent', PROVIDER_APP_ID: '', PROVIDER_SECRET: '' },
    ],
  ])(
    'brings up the stack (%s: %s) and the demo shows groups mirrored',
    async (label, _, env) => {
      const prefix = uniquePrefix('dev');
      const dev = start(['dev'], { REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, HTTP_PORT: '0', ...env });
      try {
        await dev.waitFor(/The stack keeps running/, 60_000);
        const out = dev.output();
        expect(out).toContain('yunxin-folder-sync is running');
        expect(out).toMatch(new RegExp(`${label} +http://127\\.0\\.0\\.1:\\d+ \\(the simulator`));
        expect(out).toMatch(new RegExp(`${label} group #\\d+ "Design reviews": 2\\|figma-reviews`));
        expect(out).toMatch(new RegExp(`${label} group #\\d+ "Customers": 2\\|acme-support, 2\\|globex`));
        const dashboard = /dashboard\s+(\S+)\s+user (\S+), password (\S+)/.exec(out)!;
        const res = await fetch(dashboard[1]!, {
          headers: {
            authorization: `Basic ${Buffer.from(`${dashboard[2]}:${dashboard[3]}`).toString('base64')}`,
          },
        });
        expect(res.status).toBe(200);
        expect(await dev.stop('SIGTERM')).toBe(0);
      } finally {
        await deleteKeys(redisUrl(), prefix);
      }
    },
    90_000,
  );
});
