import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulators/yunxin/server.js';
import { YunxinClient } from '../../src/yunxin/client.js';
import { capturedLogger } from '../support/log-capture.js';
import { rejectionOf } from '../support/simulator.js';

const SECRET = 'app-secret-that-must-never-leak-7f3a';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('The AppSecret (PROVIDER_SECRET) never leaves the client', () => {
  it('is absent from every log line, error message and thrown object', async () => {
    const sim = await startSimulator({ apps: { k: SECRET }, faults: { stallRate: 1, stallMs: 30_000 } });
    closers.push(() => sim.close());
    const { logger, text } = capturedLogger({ level: 'trace' });
    const client = new YunxinClient({
      appKey: 'k',
      appSecret: SECRET,
      endpoints: [sim.url],
      logger,
      headersTimeoutMs: 100,
    });
    closers.push(() => client.close());
    // a success, a business error, an ambiguous timeout, and a wrong-key client's 414
    await client.listGroups('a');
    const errors = [
      await rejectionOf(client.getGroup({ accountId: 'a', groupId: '5' })),
      await rejectionOf(client.createGroup({ accountId: 'a', name: 'g' })),
    ];
    const wrong = new YunxinClient({ appKey: 'k', appSecret: `${SECRET}x`, endpoints: [sim.url], logger });
    closers.push(() => wrong.close());
    errors.push(await rejectionOf(wrong.listGroups('a')));
    logger.info(
      { appSecret: SECRET, config: { PROVIDER_SECRET: SECRET, YUNXIN_APP_SECRET: SECRET } },
      'config loaded',
    );

    expect(errors.map((e) => e.kind)).toEqual(['permanent', 'ambiguous', 'permanent']);
    const logged = text();
    expect(logged).toContain('yunxin call');
    expect(logged).toContain('[redacted]');
    for (const text of [
      logged,
      ...errors.flatMap((e) => [e.message, JSON.stringify(e), inspect(e, { depth: 10 }), String(e.stack)]),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    expect(inspect(client, { depth: 10 })).not.toContain(SECRET);
  });
});
