import { type Command, Option } from 'commander';
import { TENCENT_DEMO_APP } from '../../simulators/tencent/demo-app.js';
import { DEMO_APP } from '../../simulators/yunxin/demo-app.js';
import type { SimulatorFlags } from '../flags.js';

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
      `Yunxin AppKey the simulator accepts (default: PROVIDER_APP_ID, else ${DEMO_APP.appKey})`,
    )
    .option(
      '--sdkappid <id>',
      `Tencent SDKAppID the simulator accepts (default: PROVIDER_APP_ID, else ${TENCENT_DEMO_APP.sdkappid})`,
    )
    .option('--rate <n>', 'calls per second per endpoint, 0 = unlimited (default: Yunxin 100, Tencent 200)')
    .option('--block-ms <ms>', 'blocking period after a rate-limit answer', '0')
    .option('--admin', 'enable the /_sim/ introspection and fault-control endpoints', false)
    .addHelpText(
      'after',
      "\nThe app id and secret are the workers': PROVIDER_APP_ID and PROVIDER_SECRET, when --provider is PROVIDER;\n" +
        "Tencent's admin is TENCENT_ADMIN. Unset, the demo app's are used.\n" +
        'SIMULATOR_ADMIN_TOKEN protects /_sim/ when set.',
    )
    .action(async (o: SimulatorFlags) => {
      const { simulatorAction } = await import('../actions/simulator.js');
      await simulatorAction(o);
    });
}
