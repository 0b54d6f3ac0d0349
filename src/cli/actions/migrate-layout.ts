import { keysOf } from '../../config.js';
import { migrateLayout } from '../../store/migrate-layout.js';
import { commandLogger, commandRedis } from '../command-redis.js';
import { configOrExit } from '../config-or-exit.js';

export async function migrateLayoutAction(): Promise<void> {
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
}
