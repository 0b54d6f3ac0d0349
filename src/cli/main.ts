import { CommanderError } from 'commander';
import { EXIT } from './config-or-exit.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(
      error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage,
    );
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(EXIT.failure);
}
