import type { Command } from 'commander';
import type { AccountFlags, ResyncFlags } from '../flags.js';

export function accountCommands(program: Command): void {
  program
    .command('status')
    .description(
      "show an account's folders: desired and synced counts, group ids, pending work, rejections, overflow, errors",
    )
    .requiredOption('--account <account>', 'Yunxin account id')
    .option('--json', 'print JSON', false)
    .action(async (o: AccountFlags) => {
      const { statusAction } = await import('../actions/account.js');
      await statusAction(o);
    });

  program
    .command('plan')
    .description('print the calls a reconcile of the account would make now (a dry run: nothing is sent)')
    .requiredOption('--account <account>', 'Yunxin account id')
    .option('--json', 'print JSON', false)
    .action(async (o: AccountFlags) => {
      const { planAction } = await import('../actions/account.js');
      await planAction(o);
    });

  program
    .command('resync')
    .description('read the remote groups and repair drift: one account, or every known account')
    .option('--account <account>', 'Yunxin account id')
    .option('--all', 'every known account (throttled so live events keep flowing)', false)
    .action(async (o: ResyncFlags) => {
      const { resyncAction } = await import('../actions/account.js');
      await resyncAction(o);
    });
}
