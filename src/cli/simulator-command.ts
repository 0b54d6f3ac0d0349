import type { Command } from 'commander';
import { createLogger } from '../log.js';
import { DEMO_APP, startSimulator } from '../yunxin/simulator/server.js';
import { onShutdown } from './shutdown.js';

export function simulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description('run the Yunxin server API simulator (a stand-in for open.yunxinapi.com)')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--app-key <key>', 'AppKey the simulator accepts', process.env.YUNXIN_APP_KEY ?? DEMO_APP.appKey)
    .option('--rate <n>', 'calls per second per endpoint (0 = unlimited)', '100')
    .option('--block-ms <ms>', 'blocking period after a 416', '0')
    .option('--admin', 'enable the /_sim/ introspection and fault-control endpoints', false)
    .addHelpText(
      'after',
      '\nThe AppSecret is read from YUNXIN_APP_SECRET (default: the demo secret); ' +
        'SIMULATOR_ADMIN_TOKEN protects /_sim/ when set.',
    )
    .action(
      async (o: {
        port: string;
        host: string;
        appKey: string;
        rate: string;
        blockMs: string;
        admin: boolean;
      }) => {
        const log = createLogger({ name: 'simulator' });
        const sim = await startSimulator({
          port: Number(o.port),
          host: o.host,
          apps: { [o.appKey]: process.env.YUNXIN_APP_SECRET ?? DEMO_APP.appSecret },
          rateLimit: { perSecond: Number(o.rate), blockMs: Number(o.blockMs) },
          admin: o.admin,
          adminToken: process.env.SIMULATOR_ADMIN_TOKEN || undefined,
        });
        log.info({ url: sim.url, appKey: o.appKey, admin: o.admin }, 'Yunxin simulator listening');
        onShutdown(log, () => sim.close());
      },
    );
}
