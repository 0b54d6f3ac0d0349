import { describe, expect, it } from 'vitest';
import {
  type AttrValue,
  appFolderDef,
  type ConversationView,
  compileMembership,
  conversationKey,
  desiredMembership,
  isMember,
  matches,
  userFolderDef,
} from '../../src/rules/evaluate.js';
import type { Rule } from '../../src/rules/schema.js';

const conv = (
  attributes: Record<string, AttrValue> = {},
  type: 1 | 2 | 3 = 1,
  target = 'alice',
): ConversationView => ({
  type,
  target,
  attributes,
});

describe('matches: attribute rules', () => {
  it('eq compares strictly, without coercion', () => {
    expect(matches({ attr: 'kind', eq: 'project' }, conv({ kind: 'project' }))).toBe(true);
    expect(matches({ attr: 'kind', eq: 'project' }, conv({ kind: 'Project' }))).toBe(false);
    expect(matches({ attr: 'n', eq: 1 }, conv({ n: '1' }))).toBe(false);
    expect(matches({ attr: 'n', eq: '1' }, conv({ n: 1 }))).toBe(false);
    expect(matches({ attr: 'pinned', eq: true }, conv({ pinned: 1 }))).toBe(false);
    expect(matches({ attr: 'pinned', eq: false }, conv({ pinned: false }))).toBe(true);
    expect(matches({ attr: 'n', eq: 0 }, conv({ n: false }))).toBe(false);
  });

  it('eq against an array attribute is false, even when an element equals the value', () => {
    expect(matches({ attr: 'tags', eq: 'customer' }, conv({ tags: ['customer'] }))).toBe(false);
  });

  it('in: a scalar attribute equal to any listed value, strictly', () => {
    const rule: Rule = { attr: 'kind', in: ['project', 2] };
    expect(matches(rule, conv({ kind: 'project' }))).toBe(true);
    expect(matches(rule, conv({ kind: 2 }))).toBe(true);
    expect(matches(rule, conv({ kind: '2' }))).toBe(false);
    expect(matches(rule, conv({ kind: 'team' }))).toBe(false);
  });

  it('in: an array attribute matches when any element is listed', () => {
    const rule: Rule = { attr: 'tags', in: ['vip', 'customer'] };
    expect(matches(rule, conv({ tags: ['x', 'customer'] }))).toBe(true);
    expect(matches(rule, conv({ tags: ['x'] }))).toBe(false);
    expect(matches(rule, conv({ tags: [] }))).toBe(false);
  });

  it('has: only array attributes, containing the string', () => {
    const rule: Rule = { attr: 'tags', has: 'customer' };
    expect(matches(rule, conv({ tags: ['customer', 'vip'] }))).toBe(true);
    expect(matches(rule, conv({ tags: ['vip'] }))).toBe(false);
    expect(matches(rule, conv({ tags: 'customer' }))).toBe(false);
  });

  it('exists: presence, whatever the value', () => {
    expect(matches({ attr: 'pinned', exists: true }, conv({ pinned: false }))).toBe(true);
    expect(matches({ attr: 'tags', exists: true }, conv({ tags: [] }))).toBe(true);
    expect(matches({ attr: 'pinned', exists: false }, conv({ pinned: false }))).toBe(false);
  });

  it('a missing attribute equals nothing', () => {
    const none = conv({});
    expect(matches({ attr: 'kind', eq: 'project' }, none)).toBe(false);
    expect(matches({ attr: 'kind', in: ['project'] }, none)).toBe(false);
    expect(matches({ attr: 'tags', has: 'x' }, none)).toBe(false);
    expect(matches({ attr: 'kind', exists: false }, none)).toBe(true);
    expect(matches({ attr: 'kind', exists: true }, none)).toBe(false);
  });

  it('only own attributes count (no Object.prototype members)', () => {
    const none = conv({});
    expect(matches({ attr: 'constructor', exists: true }, none)).toBe(false);
    expect(matches({ attr: 'toString', exists: false }, none)).toBe(true);
    expect(matches({ attr: 'constructor', eq: 'x' }, conv({ constructor: 'x' }))).toBe(true);
  });
});

describe('matches: type and combinators', () => {
  it('type: the conversation type is listed', () => {
    expect(matches({ type: [1] }, conv({}, 1))).toBe(true);
    expect(matches({ type: [2, 3] }, conv({}, 1))).toBe(false);
    expect(matches({ type: [2, 3] }, conv({}, 3))).toBe(true);
  });

  it('all / any / not', () => {
    const c = conv({ kind: 'project', pinned: true });
    const yes: Rule = { attr: 'kind', eq: 'project' };
    const no: Rule = { attr: 'pinned', eq: false };
    expect(matches({ all: [yes, { attr: 'pinned', eq: true }] }, c)).toBe(true);
    expect(matches({ all: [yes, no] }, c)).toBe(false);
    expect(matches({ any: [no, yes] }, c)).toBe(true);
    expect(matches({ any: [no] }, c)).toBe(false);
    expect(matches({ not: no }, c)).toBe(true);
    expect(matches({ not: { not: yes } }, c)).toBe(true);
  });

  it('all: [] is true and any: [] is false', () => {
    expect(matches({ all: [] }, conv())).toBe(true);
    expect(matches({ any: [] }, conv())).toBe(false);
  });

  it('the example "direct" folder: p2p and not archived', () => {
    const direct: Rule = { all: [{ type: [1] }, { not: { attr: 'archived', eq: true } }] };
    expect(matches(direct, conv({}, 1))).toBe(true);
    expect(matches(direct, conv({ archived: false }, 1))).toBe(true);
    expect(matches(direct, conv({ archived: true }, 1))).toBe(false);
    expect(matches(direct, conv({}, 2))).toBe(false);
  });
});

describe('isMember: include, then exclude, then rule', () => {
  const alice = conv({ kind: 'project' }, 1, 'alice');
  const rule: Rule = { attr: 'kind', eq: 'project' };
  const ref = { type: 1 as const, target: 'alice' };

  it('include wins over exclude and over a failing rule', () => {
    expect(isMember({ include: [ref], exclude: [ref], rule: { not: rule } }, alice)).toBe(true);
    expect(isMember({ include: [ref] }, alice)).toBe(true);
  });

  it('exclude wins over a matching rule', () => {
    expect(isMember({ exclude: [ref], rule }, alice)).toBe(false);
  });

  it('otherwise the rule decides; no rule means not a member', () => {
    expect(isMember({ rule }, alice)).toBe(true);
    expect(isMember({ rule: { not: rule } }, alice)).toBe(false);
    expect(isMember({}, alice)).toBe(false);
    expect(isMember({ include: [{ type: 1, target: 'bob' }] }, alice)).toBe(false);
  });

  it('a listed conversation is identified by type and target together', () => {
    expect(isMember({ include: [{ type: 2, target: 'alice' }] }, alice)).toBe(false);
    expect(isMember({ exclude: [{ type: 2, target: 'alice' }], rule }, alice)).toBe(true);
  });

  it('compileMembership agrees with isMember', () => {
    const folder = {
      include: [{ type: 2 as const, target: 'team' }],
      exclude: [ref],
      rule: { type: [1, 2] } as Rule,
    };
    const compiled = compileMembership(folder);
    for (const c of [alice, conv({}, 2, 'team'), conv({}, 1, 'bob'), conv({}, 3, 'x')]) {
      expect(compiled(c)).toBe(isMember(folder, c));
    }
  });
});

describe('desiredMembership', () => {
  const conversations = [
    conv({ tags: ['customer'] }, 2, 'team-b'),
    conv({ kind: 'project', pinned: true }, 1, 'zed'),
    conv({ kind: 'project', pinned: true }, 1, 'amy'),
    conv({ tags: ['customer'] }, 1, 'amy'), // same conversation listed twice
  ];

  it('keys by folder, sorts and deduplicates conversation keys, keeps folder order', () => {
    const result = desiredMembership(
      [
        {
          key: 'app:projects',
          rule: {
            all: [
              { attr: 'kind', eq: 'project' },
              { attr: 'pinned', eq: true },
            ],
          },
        },
        { key: 'user:projects', include: [{ type: 3, target: 'x' }] },
        {
          key: 'app:customers',
          rule: { attr: 'tags', has: 'customer' },
          exclude: [{ type: 2, target: 'team-b' }],
        },
        { key: 'user:none' },
      ],
      conversations,
    );
    expect([...result.keys()]).toEqual(['app:projects', 'user:projects', 'app:customers', 'user:none']);
    expect(result.get('app:projects')).toEqual(['1|amy', '1|zed']);
    expect(result.get('user:projects')).toEqual([]); // listed but not among the conversations
    expect(result.get('app:customers')).toEqual(['1|amy']);
    expect(result.get('user:none')).toEqual([]);
  });

  it('refuses a repeated folder key', () => {
    expect(() => desiredMembership([{ key: 'app:a' }, { key: 'app:a' }], conversations)).toThrow(/duplicate/);
  });

  it('builds folder definitions from app and user folders', () => {
    const app = appFolderDef({ id: 'p', name: 'P', rule: { type: [1] }, deleteWhenEmpty: false });
    const user = userFolderDef({ id: 'p', name: 'P', include: [{ type: 1, target: 'a' }] });
    expect(app).toEqual({ key: 'app:p', rule: { type: [1] } });
    expect(user.key).toBe('user:p');
    expect(desiredMembership([app, user], [conv({}, 1, 'a')]).get('user:p')).toEqual(['1|a']);
  });

  it('conversationKey is type|target', () => {
    expect(conversationKey({ type: 3, target: 'g:1' })).toBe('3|g:1');
  });
});
