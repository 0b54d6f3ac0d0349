import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath, formatZodIssues } from '../../src/rules/format-issues.js';

describe('formatPath', () => {
  it('writes paths as JavaScript accessors', () => {
    expect(formatPath(['folders', 1, 'rule', 'all', 0, 'attr'])).toBe('folders[1].rule.all[0].attr');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(['attributes', 'x-y', 'a b'])).toBe('attributes["x-y"]["a b"]');
    expect(formatPath([])).toBe('(root)');
    expect(formatPath([Symbol('s')])).toBe('[Symbol(s)]');
  });
});

describe('formatZodIssues', () => {
  it('works for any zod schema, one line per problem', () => {
    const schema = z.strictObject({ user: z.object({ ids: z.array(z.number()) }) });
    const result = schema.safeParse({ user: { ids: [1, 'x'] }, extra: 1, more: 2 });
    expect(result.success).toBe(false);
    expect(formatZodIssues(result.error!)).toEqual([
      'user.ids[1]: Invalid input: expected number, received string',
      'extra: unknown key',
      'more: unknown key',
    ]);
  });

  it('keeps a schema-provided message for unknown keys', () => {
    const schema = z.strictObject({ a: z.number() }, { error: () => 'not allowed here' });
    expect(formatZodIssues(schema.safeParse({ a: 1, b: 2 }).error!)).toEqual(['b: not allowed here']);
  });
});
