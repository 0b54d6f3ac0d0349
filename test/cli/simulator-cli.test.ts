import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { TENCENT_DEMO_APP } from '../../src/simulators/tencent/demo-app.js';
import { TencentClient } from '../../src/tencent/client.js';
import type { ContactKey } from '../../src/tencent/contact.js';
import { ROOT, type Spawned, spawnCli } from '../support/processes.js';

const run = promisify(execFile);
let proc: Spawned | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
});

describe('folder-sync simulator (a real process)', () => {
  it('starts, and examples/create-group.sh (docs/yunxin.md) creates a group on it; SIGTERM exits 0', async () => {
    proc = spawnCli(['simulator', '--port', '0', '--admin']);
    const line = await proc.waitFor(/simulator listening/);
    const url = JSON.parse(line).url as string;
    const { stdout } = await run('bash', [join(ROOT, 'examples/create-group.sh')], {
      env: { ...process.env, PROVIDER_ENDPOINT: url },
    });
    const answer = JSON.parse(stdout);
    expect(answer).toMatchObject({
      code: 200,
      data: { conversation_group: { name: 'Projects' }, success_list: ['alice|2|team-42', 'alice|1|bob'] },
    });
    const groups = await (await fetch(`${url}/_sim/accounts/alice/groups`)).json();
    expect(groups).toMatchObject({
      groups: [{ name: 'Projects', members: ['alice|1|bob', 'alice|2|team-42'] }],
    });
    expect(await proc.stop('SIGTERM')).toBe(0);
  });

  it('--provider tencent serves the Tencent REST commands to a TencentClient; SIGTERM exits 0', async () => {
    proc = spawnCli(['simulator', '--provider', 'tencent', '--port', '0', '--admin'], {
      PROVIDER_SECRET: '',
      PROVIDER_APP_ID: '',
      TENCENT_ADMIN: '',
    });
    const line = JSON.parse(await proc.waitFor(/Tencent simulator listening/));
    expect(line).toMatchObject({ provider: 'tencent', sdkappid: TENCENT_DEMO_APP.sdkappid });
    const client = new TencentClient({
      sdkappid: TENCENT_DEMO_APP.sdkappid,
      identifier: TENCENT_DEMO_APP.admin,
      secretKey: TENCENT_DEMO_APP.secretKey,
      endpoints: [line.url],
    });
    try {
      await client.createGroup({
        account: 'alice',
        name: 'Projects',
        contacts: ['2|team-42', '1|bob'] as ContactKey[],
      });
    } finally {
      await client.close();
    }
    const groups = await (await fetch(`${line.url}/_sim/accounts/alice/groups`)).json();
    expect(groups).toMatchObject({ groups: [{ name: 'Projects', members: ['1|bob', '2|team-42'] }] });
    expect(await proc.stop('SIGTERM')).toBe(0);
  });

  it('--help describes the command and exits 0; a bad option exits 2', async () => {
    const help = await run(process.execPath, [join(ROOT, 'bin/folder-sync.js'), 'simulator', '--help']);
    expect(help.stdout).toContain('--port');
    const bad = await run(process.execPath, [join(ROOT, 'bin/folder-sync.js'), 'simulator', '--nope']).catch(
      (e) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--nope'");
  });
});
