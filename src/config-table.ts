import {
  type ConfigKey,
  configSchema,
  DEPRECATED_ALIASES,
  ESSENTIAL_SETTINGS,
  PROVIDER_DEFAULTS,
  PROVIDERS,
} from './config.js';
import { PROVIDER_LABELS } from './provider/types.js';

const KEYS = Object.keys(configSchema.shape) as ConfigKey[];
const isEssential = (key: ConfigKey) => (ESSENTIAL_SETTINGS as readonly ConfigKey[]).includes(key);
const ADVANCED = KEYS.filter((k) => !isEssential(k));
const isProviderDefaulted = (key: ConfigKey): key is keyof typeof PROVIDER_DEFAULTS.yunxin =>
  key in PROVIDER_DEFAULTS.yunxin;

const code = (value: unknown) => `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;

/** The default as the table shows it: per provider when it depends on PROVIDER, — when none. */
function shownDefault(key: ConfigKey): string {
  if (isProviderDefaulted(key)) {
    return PROVIDERS.map((p) => `${PROVIDER_LABELS[p]} ${code(PROVIDER_DEFAULTS[p][key])}`).join(', ');
  }
  const parsed = configSchema.shape[key].safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? code(parsed.data) : '—';
}

const settingsTable = (keys: readonly ConfigKey[]) => [
  '| variable | default | meaning |',
  '|---|---|---|',
  ...keys.map((k) => `| \`${k}\` | ${shownDefault(k)} | ${configSchema.shape[k].description ?? ''} |`),
];

/** The README's configuration tables, made from the schema: essential, advanced, deprecated names. */
export function configTable(): string {
  return [
    '**Essential**: what a deployment sets.',
    '',
    ...settingsTable(ESSENTIAL_SETTINGS),
    '',
    '**Advanced**: the defaults suit most deployments.',
    '',
    ...settingsTable(ADVANCED),
    '',
    '**Deprecated names**: read as the new name, with a warning, when PROVIDER is their provider',
    '(ignored, with a warning, under the other); one set to another value than its new name is refused.',
    '',
    '| old name | new name |',
    '|---|---|',
    ...DEPRECATED_ALIASES.map(({ old, now }) => `| \`${old}\` | \`${now}\` |`),
  ].join('\n');
}

/** How many settings each table holds (issue 15 measures the configuration by it). */
export const configCounts = () =>
  `essential ${ESSENTIAL_SETTINGS.length}, advanced ${ADVANCED.length}, deprecated aliases ${DEPRECATED_ALIASES.length}`;
