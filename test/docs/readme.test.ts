import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../src/config-table.js';
import { EVENT_TYPES } from '../../src/events/schema.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** Table cells without their padding, so a formatter aligning columns changes nothing. */
const cells = (text: string) => text.replace(/ *\| */g, '|').replace(/\|-+(?=\|)/g, '|-');

describe('README stays true to the code', () => {
  it('has the configuration table made from the schema (npx tsx scripts/config-table.ts)', () => {
    expect(cells(readme)).toContain(cells(configTable()));
  });

  it('documents every event type', () => {
    for (const type of EVENT_TYPES) {
      const short = type.replace(/^conversation(\.\w+)$/, '$1');
      expect(readme.includes(`\`${type}\``) || readme.includes(`\`${short}\``), type).toBe(true);
    }
  });

  it('indexes every page of docs/, one line each, in its Documentation section', () => {
    const start = readme.indexOf('\n## Documentation\n');
    expect(start, 'a "## Documentation" section').toBeGreaterThan(-1);
    const end = readme.indexOf('\n## ', start + 1);
    const index = readme.slice(start, end === -1 ? undefined : end);
    const pages = readdirSync(new URL('../../docs/', import.meta.url)).filter((f) => /\.(md|json)$/.test(f));
    expect(pages).toContain('operations.md');
    for (const page of pages) {
      const name = page.replace('.', '\\.');
      expect(index, page).toMatch(new RegExp(`^- \\[docs/${name}\\]\\(docs/${name}\\): \\S`, 'm'));
    }
  });

  it('shows the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
