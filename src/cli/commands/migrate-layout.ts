import type { Command } from 'commander';

export function migrateCommand(program: Command): void {
  program
    .command('migrate-layout')
    .description(
      'move a deployment of the single-slot layout (before 0.3) to PARTITIONS partitions; stop every worker first',
    )
    .addHelpText('after', '\nResumable: run it again if it was cut short. See docs/partitions.md.')
    .action(async () => {
      const { migrateLayoutAction } = await import('../actions/migrate-layout.js');
      await migrateLayoutAction();
    });
}
