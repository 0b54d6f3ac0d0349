import { CommanderError } from 'commander';
import { describeRedisError } from '../redis/errors.js';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(
      error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage,
    );
  }
  // imported only on failure: it loads the configuration's schema, which --help need not
  const { isConfigProblem } = await import('./config-or-exit.js');
  // the message only: a Redis error's own properties hold its command's arguments (a password)
  console.error(error instanceof Error ? describeRedisError(error) : error);
  process.exit(isConfigProblem(error) ? EXIT.usage : EXIT.failure);
}
