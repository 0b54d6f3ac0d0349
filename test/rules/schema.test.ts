import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { formatZodIssues } from '../../src/rules/format-issues.js';
import { MAX_RULE_DEPTH, MAX_RULE_NODES } from '../../src/rules/limits.js';
import { parseRulesText } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/schema.js';
import { conversationRefSchema, ruleSchema, userFolderSchema } from '../../src/rules/schema.js';

/** The single error message for a rules file given as a JS value. */
function errorFor(file: unknown): string {
  const result = parseRulesText(JSON.stringify(file), 'json');
  if (result.ok) throw new Error('expected the file to be refused');
  return result.error;
}

const folder = (rule: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'f',
  name: 'F',
  rule,
  ...extra,
});
const fileWith = (rule: unknown) => ({ folders: [folder({ type: [1] }, { id: 'ok' }), folder(rule)] });

describe('rules file: rule shapes', () => {
  it('names the path of an unknown rule (the documented message)', () => {
    expect(errorFor(fileWith({ all: [{ attr: 'x', equals: 1 }] }))).toBe(
      'folders[1].rule.all[0]: unknown rule; expected one of all, any, not, type, attr+eq, attr+in, attr+has, attr+exists',
    );
  });

  it('refuses a rule with two shapes', () => {
    expect(errorFor(fileWith({ attr: 'x', eq: 1, has: 'y' }))).toBe(
      'folders[1].rule: ambiguous rule: it has "eq" and "has"; a rule must have exactly one of all, any, not, type, eq, in, has, exists',
    );
  });

  it('refuses unknown keys next to a known shape', () => {
    expect(errorFor(fileWith({ not: { type: [1] }, attr: 'x' }))).toBe(
      'folders[1].rule.attr: unknown key; a "not" rule allows only not',
    );
  });

  it('refuses a non-object rule', () => {
    expect(errorFor(fileWith({ not: [] }))).toBe('folders[1].rule.not: expected a rule object, got a list');
    expect(errorFor(fileWith('pinned'))).toBe('folders[1].rule: expected a rule object, got a string');
  });

  it('refuses empty lists', () => {
    expect(errorFor(fileWith({ all: [] }))).toBe(
      'folders[1].rule.all: must not be empty (an empty "all" is always true)',
    );
    expect(errorFor(fileWith({ any: [] }))).toBe(
      'folders[1].rule.any: must not be empty (an empty "any" is always false)',
    );
    expect(errorFor(fileWith({ type: [] }))).toBe('folders[1].rule.type: must not be empty');
    expect(errorFor(fileWith({ attr: 'x', in: [] }))).toBe('folders[1].rule.in: must not be empty');
  });

  it('checks conversation types', () => {
    expect(errorFor(fileWith({ type: [1, 4] }))).toBe(
      'folders[1].rule.type[1]: expected a conversation type 1 (p2p), 2 (advanced team) or 3 (super team), got 4',
    );
    expect(errorFor(fileWith({ type: ['1'] }))).toMatch(/^folders\[1\]\.rule\.type\[0\]: .*got "1"$/);
  });

  it('checks values: eq takes a scalar, in a list of scalars, has a string, exists a boolean', () => {
    expect(errorFor(fileWith({ attr: 'x', eq: ['a'] }))).toBe(
      'folders[1].rule.eq: expected a string, number or boolean, got a list',
    );
    expect(errorFor(fileWith({ attr: 'x', eq: null }))).toBe(
      'folders[1].rule.eq: expected a string, number or boolean, got null',
    );
    expect(errorFor(fileWith({ attr: 'x', in: [1, {}] }))).toBe(
      'folders[1].rule.in[1]: expected a string, number or boolean, got an object',
    );
    expect(errorFor(fileWith({ attr: 'x', has: 1 }))).toBe(
      'folders[1].rule.has: expected a string, got a number',
    );
    expect(errorFor(fileWith({ attr: 'x', exists: 'yes' }))).toBe(
      'folders[1].rule.exists: expected true or false, got a string',
    );
  });

  it('checks attribute names', () => {
    expect(errorFor(fileWith({ eq: 1 }))).toBe(
      'folders[1].rule.attr: required; expected an attribute name (string)',
    );
    expect(errorFor(fileWith({ attr: '', eq: 1 }))).toBe('folders[1].rule.attr: must not be empty');
    expect(errorFor(fileWith({ attr: 'a'.repeat(65), eq: 1 }))).toBe(
      'folders[1].rule.attr: must be at most 64 characters',
    );
    expect(errorFor(fileWith({ attr: '9lives', eq: 1 }))).toBe(
      'folders[1].rule.attr: must match ^[A-Za-z_][A-Za-z0-9_.-]*$',
    );
    expect(parseRulesText(JSON.stringify(fileWith({ attr: 'a'.repeat(64), eq: 1 })), 'json').ok).toBe(true);
    expect(parseRulesText(JSON.stringify(fileWith({ attr: '_x.y-z9', eq: 1 })), 'json').ok).toBe(true);
  });
});

describe('rules file: folders', () => {
  it('requires an object with a folders list', () => {
    expect(errorFor([])).toBe('(root): expected the rules file object, got a list');
    expect(errorFor({})).toBe('folders: required; expected a list of folders');
    expect(errorFor({ folders: [], revision: 1 })).toBe(
      'revision: unknown key; the rules file allows only version, folders',
    );
  });

  it('takes an optional version: a whole number from 1', () => {
    expect(parseRulesText(JSON.stringify({ version: 3, folders: [] }), 'json')).toMatchObject({
      ok: true,
      rules: { version: 3 },
    });
    expect(errorFor({ version: 0, folders: [] })).toBe('version: must be at least 1');
    expect(errorFor({ version: 1.5, folders: [] })).toBe('version: must be a whole number');
    expect(errorFor({ version: '2', folders: [] })).toBe(
      'version: expected a whole number from 1 (the rules version), got a string',
    );
  });

  it('checks ids and names', () => {
    expect(errorFor({ folders: [folder({ type: [1] }, { id: 'Projects' })] })).toBe(
      'folders[0].id: must match ^[a-z0-9][a-z0-9_-]*$ (lowercase letters, digits, "_" and "-")',
    );
    expect(errorFor({ folders: [folder({ type: [1] }, { id: 'x'.repeat(65) })] })).toBe(
      'folders[0].id: must be at most 64 characters',
    );
    expect(errorFor({ folders: [folder({ type: [1] }, { name: '  ' })] })).toBe(
      'folders[0].name: must not be blank',
    );
    expect(errorFor({ folders: [folder({ type: [1] }, { name: '' })] })).toBe(
      'folders[0].name: must not be empty',
    );
  });

  it('requires a rule and refuses unknown folder keys', () => {
    expect(errorFor({ folders: [{ id: 'a', name: 'A' }] })).toBe(
      'folders[0].rule: required; expected a rule object',
    );
    expect(errorFor({ folders: [folder({ type: [1] }, { nmae: 'x' })] })).toBe(
      'folders[0].nmae: unknown key; a folder allows only id, name, rule, deleteWhenEmpty',
    );
    expect(errorFor({ folders: [folder({ type: [1] }, { deleteWhenEmpty: 'no' })] })).toBe(
      'folders[0].deleteWhenEmpty: expected true or false, got a string',
    );
  });

  it('names both indexes of a duplicate id', () => {
    const f = folder({ type: [1] }, { id: 'projects' });
    expect(errorFor({ folders: [f, folder({ type: [2] }), f] })).toBe(
      'folders[2].id: duplicate folder id "projects"; folders[0] already uses it',
    );
  });

  it('allows at most 50 folders', () => {
    const folders = Array.from({ length: 51 }, (_, i) => folder({ type: [1] }, { id: `f${i}` }));
    expect(errorFor({ folders })).toBe('folders: must have at most 50 folders');
    expect(parseRulesText(JSON.stringify({ folders: folders.slice(0, 50) }), 'json').ok).toBe(true);
  });

  it('gives one message and counts the other problems', () => {
    expect(errorFor({ folders: [{ id: 'A', name: '', rule: { type: [9] } }] })).toBe(
      'folders[0].id: must match ^[a-z0-9][a-z0-9_-]*$ (lowercase letters, digits, "_" and "-") (and 2 more problems)',
    );
  });

  it('keeps folder order and defaults deleteWhenEmpty to false', () => {
    const result = parseRulesText(
      JSON.stringify({
        folders: [
          folder({ type: [1] }, { id: 'b' }),
          folder({ type: [2] }, { id: 'a', deleteWhenEmpty: true }),
        ],
      }),
      'json',
    );
    expect(result.ok && result.rules.folders.map((f) => [f.id, f.deleteWhenEmpty])).toEqual([
      ['b', false],
      ['a', true],
    ]);
  });
});

describe('rules file: size limits', () => {
  const nest = (levels: number): Rule => {
    let rule: Rule = { type: [1] };
    for (let i = 1; i < levels; i++) rule = i % 2 ? { not: rule } : { all: [rule] };
    return rule;
  };

  it(`accepts ${MAX_RULE_DEPTH} levels and refuses ${MAX_RULE_DEPTH + 1}, at the first too-deep rule`, () => {
    expect(parseRulesText(JSON.stringify(fileWith(nest(MAX_RULE_DEPTH))), 'json').ok).toBe(true);
    const error = errorFor(fileWith(nest(MAX_RULE_DEPTH + 1)));
    expect(error).toMatch(/^folders\[1\]\.rule\.(all\[0\]|not)\./);
    expect(error).toMatch(/: rule nested too deeply; at most 32 levels are allowed$/);
    expect(error.split(':')[0]!.match(/all\[0\]|not/g)).toHaveLength(MAX_RULE_DEPTH);
  });

  it('refuses hostile nesting without recursing into it', () => {
    const text = `{"folders":[{"id":"a","name":"A","rule":${'{"not":'.repeat(100_000)}{"type":[1]}${'}'.repeat(100_000)}}]}`;
    const result = parseRulesText(text, 'json');
    expect(result.ok === false && result.error).toMatch(/rule nested too deeply/);
  });

  it(`counts rule nodes across the whole file (at most ${MAX_RULE_NODES})`, () => {
    const leaves = (n: number) => Array.from({ length: n }, () => ({ type: [1] }));
    // Two folders of 1 + 499 nodes = 1000 in total.
    const ok = {
      folders: [folder({ any: leaves(499) }, { id: 'a' }), folder({ any: leaves(499) }, { id: 'b' })],
    };
    expect(parseRulesText(JSON.stringify(ok), 'json').ok).toBe(true);
    const tooMany = {
      folders: [folder({ any: leaves(499) }, { id: 'a' }), folder({ any: leaves(500) }, { id: 'b' })],
    };
    expect(errorFor(tooMany)).toBe(
      'folders[1].rule.any[499]: too many rules; at most 1000 rule nodes are allowed per file',
    );
  });
});

describe('user folders and conversation refs', () => {
  const issues = (schema: z.ZodType, value: unknown): string[] => {
    const result = schema.safeParse(value);
    return result.success ? [] : formatZodIssues(result.error);
  };

  it('accepts a folder with only lists, or only a name', () => {
    expect(userFolderSchema.safeParse({ id: 'My folder', name: 'Mine' }).success).toBe(true);
    const parsed = userFolderSchema.parse({
      id: 'x',
      name: 'X',
      rule: { attr: 'muted', eq: false },
      include: [{ type: 3, target: 'g:1' }],
      exclude: [],
    });
    expect(parsed.include).toEqual([{ type: 3, target: 'g:1' }]);
  });

  it('checks ids, lists and targets with precise paths', () => {
    expect(issues(userFolderSchema, { id: 'a:b', name: 'X' })).toEqual(['id: must not contain "|" or ":"']);
    expect(issues(userFolderSchema, { id: 'x'.repeat(129), name: 'X' })).toEqual([
      'id: must be at most 128 characters',
    ]);
    expect(
      issues(userFolderSchema, {
        id: 'a',
        name: 'X',
        include: [{ type: 1, target: 'a|b' }],
        exclude: [{ type: 1 }],
      }),
    ).toEqual([
      'include[0].target: must not contain "|"',
      'exclude[0].target: required; expected a conversation target (string)',
    ]);
    const many = Array.from({ length: 1001 }, (_, i) => ({ type: 1, target: `t${i}` }));
    expect(issues(userFolderSchema, { id: 'a', name: 'X', exclude: many })).toEqual([
      'exclude: must have at most 1000 conversations',
    ]);
    expect(issues(userFolderSchema, { id: 'a', name: 'X', deleteWhenEmpty: true })).toEqual([
      'deleteWhenEmpty: unknown key; a user folder allows only id, name, rule, include, exclude',
    ]);
  });

  it('applies the same rule checks and limits to a user folder rule', () => {
    expect(issues(userFolderSchema, { id: 'a', name: 'X', rule: { any: [{ attr: 'x' }] } })).toEqual([
      'rule.any[0]: unknown rule; expected one of all, any, not, type, attr+eq, attr+in, attr+has, attr+exists',
    ]);
    const wide = { any: Array.from({ length: MAX_RULE_NODES }, () => ({ type: [1] })) };
    expect(issues(ruleSchema, wide)).toEqual([
      `any[${MAX_RULE_NODES - 1}]: too many rules; at most 1000 rule nodes are allowed per rule`,
    ]);
  });

  it('checks conversation refs strictly', () => {
    expect(issues(conversationRefSchema, { type: 1, target: 'a', extra: 1 })).toEqual([
      'extra: unknown key; a conversation allows only type, target',
    ]);
    expect(issues(conversationRefSchema, { type: 2, target: '' })).toEqual(['target: must not be empty']);
  });
});
