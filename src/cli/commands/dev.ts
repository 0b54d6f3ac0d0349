import type { Command } from 'commander';
import type { DevFlags } from '../flags.js';

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description('the whole local stack in one process: Redis discovery, simulator, workers, dashboard, demo')
    .option('--no-demo', 'do not publish the demo story')
    .addHelpText(
      'after',
      '\nRedis: REDIS_URL, else 127.0.0.1:6379, else a redis:7 container (Docker), else a message saying how to get one.\n' +
        'Without PROVIDER_APP_ID/PROVIDER_SECRET the simulator of PROVIDER (yunxin or tencent) stands in for it.\n' +
        'DASHBOARD_PASSWORD and INGEST_TOKEN are generated and printed when not set.',
    )
    .action(async (o: DevFlags) => {
      const { devAction } = await import('../actions/dev.js');
      await devAction(o);
    });
}

export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      "publish the demo story to a running stack and print each user's folders and provider groups",
    )
    .action(async () => {
      const { demoAction } = await import('../actions/dev.js');
      await demoAction();
    });
}
