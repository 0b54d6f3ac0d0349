import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { accountCommands } from './account-commands.js';
import { demoCommand, devCommand } from './dev-command.js';
import { migrateCommand } from './migrate-command.js';
import { publishCommand } from './publish-command.js';
import { rulesCommand } from './rules-command.js';
import { serveCommand } from './serve-command.js';
import { simulatorCommand } from './simulator-command.js';
import { workerCommand } from './worker-command.js';

/** The `folder-sync` command tree (also read by tests that check docker-compose.yml). */
export function buildProgram(): Command {
  const program = new Command()
    .name('folder-sync')
    .description('Mirror app folder rules into Yunxin conversation groups')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride();
  devCommand(program);
  workerCommand(program);
  serveCommand(program);
  publishCommand(program);
  accountCommands(program);
  rulesCommand(program);
  migrateCommand(program);
  simulatorCommand(program);
  demoCommand(program);
  return program;
}

/** The package's version: package.json sits two levels up from src/cli and from dist/cli alike. */
function packageVersion(): string {
  return (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
}
