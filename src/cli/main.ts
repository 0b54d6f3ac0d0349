import { Command, CommanderError } from 'commander';
import { simulatorCommand } from './simulator-command.js';

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const program = new Command()
  .name('folder-sync')
  .description('Mirror app folder rules into Yunxin conversation groups')
  .exitOverride();

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
