import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { tracingRequested } from '../telemetry/requested.js';
import { accountCommands } from './commands/account.js';
import { demoCommand, devCommand } from './commands/dev.js';
import { migrateCommand } from './commands/migrate-layout.js';
import { publishCommand } from './commands/publish.js';
import { rulesCommand } from './commands/rules.js';
import { serveCommand } from './commands/serve.js';
import { simulatorCommand } from './commands/simulator.js';
import { workerCommand } from './commands/worker.js';

/**
 * The `folder-sync` command tree (also read by tests that check docker-compose.yml). Only the
 * declarations: each command imports what it runs when it runs, so --help loads nothing heavy.
 */
export function buildProgram(): Command {
  const program = new Command()
    .name('folder-sync')
    .description('Mirror app folder rules into Yunxin conversation groups')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    // before the command imports its action: the instrumentations must be in place when
    // ioredis, BullMQ and undici load, and a process not asked to trace loads none of it
    .hook('preAction', async () => {
      if (tracingRequested()) (await import('../telemetry/start.js')).startTracing();
    });
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
