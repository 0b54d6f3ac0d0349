import type { Command } from 'commander';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the dashboard (/admin/queues), ingest (POST /v1/events, described at /openapi.json), /metrics, /healthz and /readyz',
    )
    .addHelpText(
      'after',
      '\nBinds HTTP_HOST:HTTP_PORT (default 127.0.0.1:8080). See docs/operations.md, "HTTP endpoints".',
    )
    .action(async () => {
      const { serveAction } = await import('../actions/serve.js');
      await serveAction();
    });
}
