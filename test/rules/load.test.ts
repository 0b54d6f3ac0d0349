import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { canonicalJson } from '../../src/rules/canonical-json.js';
import {
  detectRulesFormat,
  loadRulesFile,
  MAX_RULES_TEXT_LENGTH,
  type ParseRulesResult,
  parseRulesText,
  RulesFileError,
} from '../../src/rules/load.js';

const examples = new URL('../../examples/', import.meta.url);

const EXAMPLE = {
  folders: [
    {
      id: 'projects',
      name: 'Projects',
      rule: {
        all: [
          { attr: 'kind', eq: 'project' },
          { attr: 'pinned', eq: true },
        ],
      },
    },
    { id: 'customers', name: 'Customers', rule: { attr: 'tags', has: 'customer' } },
    {
      id: 'direct',
      name: 'Direct messages',
      rule: { all: [{ type: [1] }, { not: { attr: 'archived', eq: true } }] },
    },
  ],
};

const hashOf = (result: ParseRulesResult): string => {
  if (!result.ok) throw new Error(result.error);
  return result.hash;
};
const errorOf = (result: ParseRulesResult): string => {
  if (result.ok) throw new Error('expected an error');
  return result.error;
};

describe('parseRulesText: hash', () => {
  const hash = hashOf(parseRulesText(JSON.stringify(EXAMPLE), 'json'));

  it('is sha256 hex', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not change with formatting, key order or syntax', () => {
    expect(hashOf(parseRulesText(JSON.stringify(EXAMPLE, null, 4), 'json'))).toBe(hash);
    const reordered = `{"folders":[${EXAMPLE.folders
      .map((f) => `{"rule":${JSON.stringify(f.rule)},"name":${JSON.stringify(f.name)},"id":"${f.id}"}`)
      .join(',')}]}`;
    expect(hashOf(parseRulesText(reordered, 'json'))).toBe(hash);
    expect(hashOf(parseRulesText(stringify(EXAMPLE), 'yaml'))).toBe(hash);
    expect(hashOf(parseRulesText(JSON.stringify(EXAMPLE), 'yaml'))).toBe(hash); // JSON is YAML too
  });

  it('treats a spelled-out default like the omitted one', () => {
    const explicit = { folders: EXAMPLE.folders.map((f) => ({ ...f, deleteWhenEmpty: false })) };
    expect(hashOf(parseRulesText(JSON.stringify(explicit), 'json'))).toBe(hash);
  });

  it('changes with the content, including folder order', () => {
    const renamed = structuredClone(EXAMPLE);
    renamed.folders[1]!.name = 'Clients';
    expect(hashOf(parseRulesText(JSON.stringify(renamed), 'json'))).not.toBe(hash);
    const reversed = { folders: [...EXAMPLE.folders].reverse() };
    expect(hashOf(parseRulesText(JSON.stringify(reversed), 'json'))).not.toBe(hash);
    const typed = { folders: [{ ...EXAMPLE.folders[0]!, rule: { attr: 'kind', eq: 1 } }] };
    const stringly = { folders: [{ ...EXAMPLE.folders[0]!, rule: { attr: 'kind', eq: '1' } }] };
    expect(hashOf(parseRulesText(JSON.stringify(typed), 'json'))).not.toBe(
      hashOf(parseRulesText(JSON.stringify(stringly), 'json')),
    );
  });

  it('the example files hold the same rules', async () => {
    const json = await loadRulesFile(new URL('rules.json', examples).pathname);
    const yaml = await loadRulesFile(new URL('rules.yaml', examples).pathname);
    expect(json.hash).toBe(hash);
    expect(yaml.hash).toBe(hash);
    expect(json.rules.folders.map((f) => f.id)).toEqual(['projects', 'customers', 'direct']);
  });
});

describe('parseRulesText: syntax errors', () => {
  it('reports JSON errors with line and column', () => {
    expect(errorOf(parseRulesText('{\n  "folders": [\n    {"id": "a",}\n  ]\n}', 'json'))).toBe(
      'JSON syntax error at line 3, column 16: Expected double-quoted property name',
    );
    expect(errorOf(parseRulesText('{"folders": [', 'json'))).toBe(
      'JSON syntax error at line 1, column 14: Unexpected end of JSON input',
    );
    expect(errorOf(parseRulesText('{"folders": x}', 'json'))).toMatch(
      /^JSON syntax error: Unexpected token 'x'/,
    );
  });

  it('refuses duplicate JSON keys, naming the path', () => {
    const text =
      '{"folders": [\n  {"id": "a", "name": "A", "rule": {"type": [1]},\n   "rule": {"type": [2]}}]}';
    expect(errorOf(parseRulesText(text, 'json'))).toBe('folders[0].rule: duplicate key at line 3, column 4');
    // Equal strings that are values, or keys in different objects, are fine.
    const ok = String.raw`{"folders": [{"id": "a", "name": "id\"", "rule": {"attr": "id", "eq": "\\"}}]}`;
    expect(parseRulesText(ok, 'json').ok).toBe(true);
  });

  it('reports YAML errors with line and column', () => {
    expect(errorOf(parseRulesText('folders:\n  - id: a\n    id: b\n', 'yaml'))).toBe(
      'YAML syntax error at line 3, column 5: Map keys must be unique',
    );
    expect(errorOf(parseRulesText('folders: [\n', 'yaml'))).toMatch(
      /^YAML syntax error at line \d+, column \d+: /,
    );
    expect(errorOf(parseRulesText('a: 1\n---\nb: 2\n', 'yaml'))).toBe(
      'YAML syntax error at line 2, column 1: a rules file must be a single YAML document',
    );
  });

  it('validates YAML content like JSON content', () => {
    expect(errorOf(parseRulesText('', 'yaml'))).toBe('(root): expected the rules file object, got null');
    expect(errorOf(parseRulesText('folders:\n  - {id: a, name: A, rule: {attr: x, eq: .nan}}', 'yaml'))).toBe(
      'folders[0].rule.eq: expected a string, number or boolean, got NaN',
    );
  });

  it('refuses YAML alias bombs with a normal error', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(errorOf(parseRulesText(bomb.join('\n'), 'yaml'))).toMatch(/^YAML error: .*alias/i);
  });

  it('strips a byte order mark and refuses oversized text', () => {
    expect(parseRulesText(`\uFEFF${JSON.stringify(EXAMPLE)}`, 'json').ok).toBe(true);
    expect(errorOf(parseRulesText(' '.repeat(MAX_RULES_TEXT_LENGTH + 1), 'json'))).toBe(
      `too large: ${MAX_RULES_TEXT_LENGTH + 1} characters; at most ${MAX_RULES_TEXT_LENGTH}`,
    );
  });
});

describe('detectRulesFormat', () => {
  it('uses the extension, then the content', () => {
    expect(detectRulesFormat('/etc/rules.json', 'folders: []')).toBe('json');
    expect(detectRulesFormat('rules.YML', '{}')).toBe('yaml');
    expect(detectRulesFormat('rules.yaml', '{}')).toBe('yaml');
    expect(detectRulesFormat('/etc/folder.rules', '\n  {"folders": []}')).toBe('json');
    expect(detectRulesFormat('/etc/folder.rules', 'folders: []')).toBe('yaml');
    expect(detectRulesFormat('/etc.d/rules', '# comment\n{}')).toBe('yaml');
  });
});

describe('loadRulesFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'folder-rules-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file, the path and the reason', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'folders:\n  - id: a\n    name: A\n    rule: {any: [{attr: x}]}\n');
    const error = await loadRulesFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RulesFileError);
    expect((error as RulesFileError).message).toBe(
      `folder rules file ${path}: folders[0].rule.any[0]: unknown rule; expected one of all, any, not, type, attr+eq, attr+in, attr+has, attr+exists`,
    );
    expect((error as RulesFileError).filePath).toBe(path);
  });

  it('sniffs the format of a file without a known extension', async () => {
    const path = join(dir, 'rules.conf');
    await writeFile(path, JSON.stringify(EXAMPLE));
    expect((await loadRulesFile(path)).rules.folders).toHaveLength(3);
  });

  it('reports a missing file', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadRulesFile(path)).rejects.toThrow(`folder rules file ${path}: cannot be read (ENOENT`);
  });

  it('returns data that serialises canonically to what the hash covers', async () => {
    const { rules } = await loadRulesFile(new URL('rules.json', examples).pathname);
    expect(canonicalJson(rules)).toContain('"deleteWhenEmpty":false');
  });
});
