import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startTencentSimulator } from '../../src/simulators/tencent/server.js';
import { TencentClient } from '../../src/tencent/client.js';
import type { ContactKey } from '../../src/tencent/contact.js';
import { capturedLogger } from '../support/log-capture.js';
import { rejectionOf } from '../support/simulator.js';

const SECRET = 'tencent-key-that-must-never-leak-9c1e';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('The key (PROVIDER_SECRET) and the UserSig never leave the client', () => {
  it('are absent from every log line, error message and thrown object', async () => {
    const app = { sdkappid: 1400000009, secretKey: SECRET, admin: 'administrator' };
    const sim = await startTencentSimulator({ apps: [app], faults: { stallRate: 1, stallMs: 30_000 } });
    closers.push(() => sim.close());
    const { logger, text } = capturedLogger({ level: 'trace' });
    const opts = { sdkappid: app.sdkappid, identifier: app.admin, endpoints: [sim.url], logger };
    const client = new TencentClient({ ...opts, secretKey: SECRET, headersTimeoutMs: 100 });
    closers.push(() => client.close());
    // a success, a business error, an ambiguous timeout, and a wrong-key client's 70009
    await client.listAll('a');
    const errors = [
      await rejectionOf(client.deleteGroup({ account: 'a', name: 'none' })),
      await rejectionOf(client.createGroup({ account: 'a', name: 'g', contacts: ['1|x' as ContactKey] })),
    ];
    const wrong = new TencentClient({ ...opts, secretKey: `${SECRET}x` });
    closers.push(() => wrong.close());
    errors.push(await rejectionOf(wrong.listAll('a')));
    logger.info(
      { secretKey: SECRET, config: { PROVIDER_SECRET: SECRET, TENCENT_SECRET_KEY: SECRET } },
      'config loaded',
    );

    const logged = text();
    expect(errors.map((e) => e.kind)).toEqual(['permanent', 'ambiguous', 'permanent']);
    expect(errors[2]).toMatchObject({ code: 70009 });
    expect(logged).toContain('tencent call');
    expect(logged).toContain('[redacted]');
    for (const text of [
      logged,
      ...errors.flatMap((e) => [e.message, JSON.stringify(e), inspect(e, { depth: 10 }), String(e.stack)]),
      inspect(client, { depth: 10 }),
      JSON.stringify(client),
    ]) {
      expect(text).not.toContain(SECRET);
      // nor the UserSig made with it (it authenticates for 180 days): zlib + base64 starts "eJ"
      expect(text).not.toMatch(/usersig=|eJ[\w*-]{40,}/);
    }
  });
});
