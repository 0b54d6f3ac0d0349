import type { Command } from 'commander';
import type { PublishFlags } from '../flags.js';

export function publishCommand(program: Command): void {
  program
    .command('publish')
    .argument('[file]', 'NDJSON file of events, one JSON object per line; "-" or none reads stdin')
    .description('validate domain events (NDJSON) and add them to the events queue')
    .option('--json', 'print the summary as JSON', false)
    .addHelpText(
      'after',
      '\nEach refused line is printed to stderr as "line N: <path>: <reason>; …"; valid lines are' +
        '\npublished all the same. The summary goes to stdout ("published 12 events, refused 2").' +
        '\nRedis and the key prefix come from REDIS_URL and QUEUE_PREFIX.' +
        '\n\nExit codes:' +
        '\n  0  every line was published' +
        '\n  1  some lines were refused (the others were published), or Redis failed' +
        '\n  2  bad configuration (environment variables, a password Redis refuses) or an unreadable file',
    )
    .action(async (file: string | undefined, o: PublishFlags) => {
      const { publishAction } = await import('../actions/publish.js');
      await publishAction(file, o);
    });
}
