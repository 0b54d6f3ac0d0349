import type { Command } from 'commander';
import type { RulesShowFlags } from '../flags.js';

/** `folder-sync rules show|confirm`: the fleet's rules, and the deletion guard's held change. */
export function rulesCommand(program: Command): void {
  const rules = program
    .command('rules')
    .description("the fleet's rules (one version for every worker) and a change held by the deletion guard");

  rules
    .command('show')
    .description('print the rules the fleet runs, a held change, and the deployment sentinel')
    .option('--json', 'print JSON', false)
    .action(async (o: RulesShowFlags) => {
      const { rulesShowAction } = await import('../actions/rules.js');
      await rulesShowAction(o);
    });

  rules
    .command('confirm')
    .description(
      'install the rules change the deletion guard holds (give its version, or its hash for unversioned rules)',
    )
    .argument('<version-or-hash>', 'the held version, or the first characters (6 or more) of its hash')
    .action(async (which: string) => {
      const { rulesConfirmAction } = await import('../actions/rules.js');
      await rulesConfirmAction(which);
    });
}
