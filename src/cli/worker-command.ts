import type { Command } from 'commander';
import { createLogger } from '../log.js';
import { startWorkers } from '../workers/run-workers.js';
import { configOrExit, EXIT, isConfigProblem } from './config-or-exit.js';
import { onShutdown } from './shutdown.js';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the workers: fold events into facts and reconcile accounts into Yunxin groups')
    .addHelpText(
      'after',
      '\nConfigured by environment variables (see README, "Configuration"). Any number may run against one Redis.',
    )
    .action(async () => {
      const config = configOrExit();
      const log = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
      try {
        const running = await startWorkers(config, log);
        onShutdown(log, () => running.close());
      } catch (error) {
        log.error({ err: error }, 'worker failed to start');
        process.exit(isConfigProblem(error) ? EXIT.usage : EXIT.failure);
      }
    });
}
