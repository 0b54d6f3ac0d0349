import type { Command } from 'commander';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the workers: fold events into facts and reconcile accounts into Yunxin groups')
    .addHelpText(
      'after',
      '\nConfigured by environment variables (README, "Configuration"). Any number may run against one Redis.\n' +
        'With WORKER_METRICS_PORT set, serves /metrics, /healthz and /readyz on that port.',
    )
    .action(async () => {
      const { workerAction } = await import('../actions/worker.js');
      await workerAction();
    });
}
