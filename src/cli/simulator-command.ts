import { type Command, Option } from 'commander';
import { createLogger } from '../log.js';
import { TENCENT_DEMO_APP } from '../tencent/simulator/demo-app.js';
import { startTencentSimulator } from '../tencent/simulator/server.js';
import { DEMO_APP } from '../yunxin/simulator/demo-app.js';
import { startSimulator } from '../yunxin/simulator/server.js';
import { onShutdown } from './shutdown.js';

interface SimulatorFlags {
  provider: 'yunxin' | 'tencent';
  port: string;
  host: string;
  appKey: string;
  sdkappid: string;
  rate?: string;
  blockMs: string;
  admin: boolean;
}

/** A simulator of the chosen provider with the credentials its clients will use. */
function start(o: SimulatorFlags) {
  const common = {
    port: Number(o.port),
    host: o.host,
    rateLimit: { ...(o.rate === undefined ? {} : { perSecond: Number(o.rate) }), blockMs: Number(o.blockMs) },
    admin: o.admin,
    adminToken: process.env.SIMULATOR_ADMIN_TOKEN || undefined,
  };
  if (o.provider === 'tencent') {
    const app = {
      sdkappid: Number(o.sdkappid),
      // empty means unset, as in the configuration
      secretKey: process.env.TENCENT_SECRET_KEY || TENCENT_DEMO_APP.secretKey,
      admin: process.env.TENCENT_ADMIN || TENCENT_DEMO_APP.admin,
    };
    return startTencentSimulator({ ...common, apps: [app] });
  }
  return startSimulator({
    ...common,
    apps: { [o.appKey]: process.env.YUNXIN_APP_SECRET ?? DEMO_APP.appSecret },
  });
}

export function simulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description('run a provider simulator: Yunxin server API v2 (default) or Tencent Cloud Chat REST')
    .addOption(
      new Option('--provider <name>', 'which provider to stand in for')
        .choices(['yunxin', 'tencent'])
        .default(process.env.PROVIDER === 'tencent' ? 'tencent' : 'yunxin'),
    )
    .option('--port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--app-key <key>',
      'Yunxin AppKey the simulator accepts',
      process.env.YUNXIN_APP_KEY ?? DEMO_APP.appKey,
    )
    .option(
      '--sdkappid <id>',
      'Tencent SDKAppID the simulator accepts',
      process.env.TENCENT_SDKAPPID || String(TENCENT_DEMO_APP.sdkappid),
    )
    .option('--rate <n>', 'calls per second per endpoint, 0 = unlimited (default: Yunxin 100, Tencent 200)')
    .option('--block-ms <ms>', 'blocking period after a rate-limit answer', '0')
    .option('--admin', 'enable the /_sim/ introspection and fault-control endpoints', false)
    .addHelpText(
      'after',
      '\nYunxin: the AppSecret is read from YUNXIN_APP_SECRET (default: the demo secret).\n' +
        'Tencent: the UserSig key from TENCENT_SECRET_KEY, the admin from TENCENT_ADMIN (defaults: the demo app).\n' +
        'SIMULATOR_ADMIN_TOKEN protects /_sim/ when set.',
    )
    .action(async (o: SimulatorFlags) => {
      const log = createLogger({ name: 'simulator' });
      const sim = await start(o);
      const who = o.provider === 'tencent' ? { sdkappid: Number(o.sdkappid) } : { appKey: o.appKey };
      log.info(
        { url: sim.url, provider: o.provider, ...who, admin: o.admin },
        `${o.provider === 'tencent' ? 'Tencent' : 'Yunxin'} simulator listening`,
      );
      onShutdown(log, () => sim.close());
    });
}
