import type { Command } from 'commander';
import { keysOf } from '../config.js';
import { migrateLayout } from '../store/migrate-layout.js';
import { commandLogger, commandRedis } from './command-redis.js';
import { configOrExit } from './config-or-exit.js';

export function migrateCommand(program: Command): void {
  program
    .command('migrate-layout')
    .description(
      'move a deployment of the single-slot layout (before 0.3) to PARTITIONS partitions; stop every worker first',
    )
    .addHelpText('after', '\nResumable: run it again if it was cut short. See docs/partitions.md.')
    .action(async () => {
      const config = configOrExit();
      const { redis } = commandRedis(config, 'migrate');
      try {
        const report = await migrateLayout(redis, keysOf(config), commandLogger(config, 'migrate'));
        console.log(
          report.migrated
            ? `moved ${report.accounts} accounts (${report.keysMoved} keys) and ${report.eventsRequeued} queued events to ${config.PARTITIONS} partitions; a reconcile is queued for every account`
            : 'nothing to move: this deployment is partitioned already, or has no data yet',
        );
      } finally {
        redis.disconnect();
      }
    });
}
