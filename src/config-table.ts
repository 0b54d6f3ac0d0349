import { configSchema } from './config.js';

/** The README's configuration table, made from the schema's defaults and descriptions. */
export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([name, schema]) => {
    const parsed = configSchema.shape[name as keyof typeof configSchema.shape].safeParse(undefined);
    const value = parsed.success ? parsed.data : undefined;
    const shown = value === undefined ? '—' : `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
    return `| \`${name}\` | ${shown} | ${schema.description ?? ''} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
