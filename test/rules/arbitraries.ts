import fc from 'fast-check';
import type { AttrValue, ConversationView } from '../../src/rules/evaluate.js';
import type { ConversationRef, Rule, UserFolder } from '../../src/rules/schema.js';

// Small pools, so generated rules and conversations actually meet (a random string would
// almost never equal another). `constructor` checks that inherited members never count.
const ATTRS = ['kind', 'pinned', 'archived', 'tags', 'score', 'constructor'] as const;
const word = fc.constantFrom('a', 'b', 'project', '1', '');
const scalar = fc.oneof(word, fc.constantFrom(0, 1, 2.5, -3), fc.boolean());
const attrValue: fc.Arbitrary<AttrValue> = fc.oneof(scalar, fc.array(word, { maxLength: 3 }));
const attr = fc.constantFrom(...ATTRS);

export const conversationType = fc.constantFrom(1 as const, 2 as const, 3 as const);
const target = fc.constantFrom('alice', 'bob', 'team-1', 'g:2');

export const conversationRef: fc.Arbitrary<ConversationRef> = fc.record({ type: conversationType, target });

export const conversation: fc.Arbitrary<ConversationView> = fc.record({
  type: conversationType,
  target,
  attributes: fc.dictionary(attr, attrValue, { maxKeys: 4, noNullPrototype: true }),
});

const leafRule: fc.Arbitrary<Rule> = fc.oneof(
  fc.record({ type: fc.uniqueArray(conversationType, { minLength: 1, maxLength: 3 }) }),
  fc.record({ attr, eq: scalar }),
  fc.record({ attr, in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ attr, has: word }),
  fc.record({ attr, exists: fc.boolean() }),
);

/**
 * Valid rules (non-empty lists, as files require), at most 5 levels deep with lists of at
 * most 3, so a file of 5 folders stays under the node limit.
 */
export const rule: fc.Arbitrary<Rule> = fc.letrec<{ rule: Rule }>((tie) => ({
  rule: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'rule' },
    leafRule,
    fc.record({ all: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('rule') }),
  ),
})).rule;

const folderName = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s.trim() !== '');

/** App folders as a file would hold them (deleteWhenEmpty sometimes left to its default). */
export const appFolderInput = fc.record(
  {
    id: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/),
    name: folderName,
    rule,
    deleteWhenEmpty: fc.boolean(),
  },
  { requiredKeys: ['id', 'name', 'rule'] },
);

export const rulesFileInput = fc
  .uniqueArray(appFolderInput, { selector: (f) => f.id, maxLength: 5 })
  .map((folders) => ({ folders }));

/** What the schema returns for an input: the default filled in. */
export const withDefaults = <F extends { deleteWhenEmpty?: boolean }>(folders: F[]) =>
  folders.map((f) => ({ ...f, deleteWhenEmpty: f.deleteWhenEmpty ?? false }));

export const userFolder: fc.Arbitrary<UserFolder> = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 128 }).filter((s) => !/[|:]/.test(s)),
    name: folderName,
    rule,
    include: fc.array(conversationRef, { maxLength: 3 }),
    exclude: fc.array(conversationRef, { maxLength: 3 }),
  },
  { requiredKeys: ['id', 'name'] },
);
