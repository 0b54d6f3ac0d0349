/**
 * Command lines that deployment files run (docker-compose.yml, deploy/kubernetes/), checked
 * against the real `folder-sync` command tree: commander parses them, and no action runs.
 */
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';

export const subcommand = (program: Command, name: string): Command | undefined =>
  program.commands.find((c) => c.name() === name || c.aliases().includes(name));

/** Commander's own verdict on the words, with every action replaced by a no-op (nothing runs). */
export function parseError(words: string[]): string | undefined {
  const program = buildProgram();
  const quiet = { writeOut: () => {}, writeErr: () => {}, outputError: () => {} };
  program.configureOutput(quiet).exitOverride();
  for (const c of program.commands)
    c.configureOutput(quiet)
      .exitOverride()
      .action(() => {});
  try {
    program.parse(words, { from: 'user' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
