import { Command, CommanderError } from 'commander';
import { accountCommands } from './account-commands.js';
import { EXIT } from './config-or-exit.js';
import { publishCommand } from './publish-command.js';
import { simulatorCommand } from './simulator-command.js';
import { workerCommand } from './worker-command.js';

const program = new Command()
  .name('folder-sync')
  .description('Mirror app folder rules into Yunxin conversation groups')
  .exitOverride();

workerCommand(program);
publishCommand(program);
accountCommands(program);
simulatorCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(
      error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage,
    );
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(EXIT.failure);
}
