import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type ConversationView,
  compileMembership,
  conversationKey,
  desiredMembership,
  isMember,
  matches,
} from '../../src/rules/evaluate.js';
import { parseRulesText } from '../../src/rules/load.js';
import { type Rule, ruleSchema, userFolderSchema } from '../../src/rules/schema.js';
import {
  conversation,
  conversationRef,
  rule,
  rulesFileInput,
  userFolder,
  withDefaults,
} from './arbitraries.js';

const same = (a: Rule, b: Rule) => (c: ConversationView) => matches(a, c) === matches(b, c);

describe('evaluator laws', () => {
  it('not negates', () => {
    fc.assert(fc.property(rule, conversation, (r, c) => matches({ not: r }, c) === !matches(r, c)));
  });

  it('all is every, any is some (empty lists included)', () => {
    const rules = fc.array(rule, { maxLength: 4 });
    fc.assert(
      fc.property(rules, conversation, (rs, c) => {
        expect(matches({ all: rs }, c)).toBe(rs.every((r) => matches(r, c)));
        expect(matches({ any: rs }, c)).toBe(rs.some((r) => matches(r, c)));
      }),
    );
  });

  it("De Morgan's laws hold", () => {
    fc.assert(
      fc.property(rule, rule, conversation, (a, b, c) => {
        expect(same({ not: { all: [a, b] } }, { any: [{ not: a }, { not: b }] })(c)).toBe(true);
        expect(same({ not: { any: [a, b] } }, { all: [{ not: a }, { not: b }] })(c)).toBe(true);
      }),
    );
  });

  it('a single-element all/any, or a double negation, is the rule itself', () => {
    fc.assert(
      fc.property(rule, conversation, (r, c) => {
        expect(same({ all: [r] }, r)(c)).toBe(true);
        expect(same({ any: [r] }, r)(c)).toBe(true);
        expect(same({ not: { not: r } }, r)(c)).toBe(true);
      }),
    );
  });

  it('exists:false is the negation of exists:true', () => {
    fc.assert(
      fc.property(fc.constantFrom('kind', 'tags', 'constructor'), conversation, (attr, c) =>
        same({ attr, exists: false }, { not: { attr, exists: true } })(c),
      ),
    );
  });
});

describe('membership precedence', () => {
  const lists = fc.array(conversationRef, { maxLength: 4 });
  const folder = fc.record({ rule: fc.option(rule, { nil: undefined }), include: lists, exclude: lists });

  it('include always wins, over exclude and rule', () => {
    fc.assert(
      fc.property(folder, conversation, (f, c) => {
        const ref = { type: c.type, target: c.target };
        expect(isMember({ ...f, include: [...f.include, ref], exclude: [...f.exclude, ref] }, c)).toBe(true);
      }),
    );
  });

  it('exclude wins over the rule, even one that matches everything', () => {
    fc.assert(
      fc.property(folder, conversation, (f, c) => {
        const include = f.include.filter((r) => conversationKey(r) !== conversationKey(c));
        const exclude = [...f.exclude, { type: c.type, target: c.target }];
        expect(isMember({ ...f, include, exclude }, c)).toBe(false);
        expect(isMember({ include, exclude, rule: { type: [1, 2, 3] } }, c)).toBe(false);
      }),
    );
  });

  it('unlisted conversations follow the rule; no rule means no membership', () => {
    fc.assert(
      fc.property(folder, conversation, (f, c) => {
        const unlisted = (refs: typeof f.include) =>
          refs.filter((r) => conversationKey(r) !== conversationKey(c));
        const g = { ...f, include: unlisted(f.include), exclude: unlisted(f.exclude) };
        expect(isMember(g, c)).toBe(g.rule ? matches(g.rule, c) : false);
      }),
    );
  });

  it('compileMembership and desiredMembership agree with isMember', () => {
    fc.assert(
      fc.property(fc.array(folder, { maxLength: 4 }), fc.array(conversation, { maxLength: 12 }), (fs, cs) => {
        const defs = fs.map((f, i) => ({ ...f, key: `user:f${i}` as const }));
        const result = desiredMembership(defs, cs);
        for (const def of defs) {
          const compiled = compileMembership(def);
          const expected = new Set(cs.filter((c) => isMember(def, c)).map(conversationKey));
          for (const c of cs) expect(compiled(c)).toBe(isMember(def, c));
          expect(result.get(def.key)).toEqual([...expected].sort());
        }
      }),
    );
  });
});

describe('schema round trips', () => {
  it('generated rules files survive JSON text, with the same hash as YAML text', () => {
    fc.assert(
      fc.property(rulesFileInput, (file) => {
        const fromJson = parseRulesText(JSON.stringify(file), 'json');
        const fromYaml = parseRulesText(stringify(file), 'yaml');
        if (!fromJson.ok) throw new Error(fromJson.error);
        expect(fromJson.rules).toEqual({ folders: withDefaults(file.folders) });
        expect(fromYaml).toEqual(fromJson);
      }),
    );
  });

  it('generated rules and user folders parse to themselves', () => {
    fc.assert(
      fc.property(rule, userFolder, (r, u) => {
        expect(ruleSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
        expect(userFolderSchema.parse(JSON.parse(JSON.stringify(u)))).toEqual(u);
      }),
    );
  });
});

describe('invalid input is refused with an ordinary result', () => {
  const inFile = (r: unknown) => JSON.stringify({ folders: [{ id: 'a', name: 'A', rule: r }] });

  it('any JSON value in a rule position gives a result, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parseRulesText(inFile(value), 'json');
        if (!result.ok) expect(result.error).toMatch(/^folders\[0\]\.rule[.[:]/);
      }),
    );
  });

  it('an extra key on a valid rule is refused at that key', () => {
    const extraKey = fc.constantFrom('bogus', 'Eq', 'attrs', 'all', 'not', 'eq', 'has', 'type');
    fc.assert(
      fc.property(rule, extraKey, fc.jsonValue(), (r, key, value) => {
        fc.pre(!Object.hasOwn(r, key));
        const result = parseRulesText(inFile({ ...r, [key]: value }), 'json');
        expect(result.ok).toBe(false);
        if (!result.ok)
          expect(result.error).toMatch(/^folders\[0\]\.rule(\.\w+)?: (unknown key|ambiguous rule)/);
      }),
    );
  });

  it('a wrongly typed leaf value is refused', () => {
    const notScalar = fc.oneof(fc.constant(null), fc.array(fc.integer()), fc.object());
    fc.assert(
      fc.property(notScalar, (value) => {
        const result = parseRulesText(inFile({ all: [{ type: [1] }, { attr: 'x', eq: value }] }), 'json');
        expect(result.ok === false && result.error).toMatch(
          /^folders\[0\]\.rule\.all\[1\]\.eq: expected a string/,
        );
      }),
    );
  });

  it('arbitrary text in either syntax gives a result, never an exception', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('json' as const, 'yaml' as const),
        (text, format) => {
          const result = parseRulesText(text, format);
          expect(result.ok ? result.hash : result.error).toEqual(expect.any(String));
        },
      ),
    );
  });
});
