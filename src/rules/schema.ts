import { z } from 'zod';
import { standIns } from '../stand-ins.js';
import { findFileLimitProblem, findRuleLimitProblem, type LimitProblem } from './limits.js';
import { expected, isRecord, kindOf } from './messages.js';

// Messages are attached to each schema (not passed per parse) because rule shapes are
// parsed in nested calls that do not inherit per-parse options.

/** A strict object (unknown keys are errors, so typos are caught) whose messages name the allowed keys. */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape, what: string) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key; ${what} allows only ${allowed}`
        : expected(`${what} object`)(issue),
  });
}

/** Turns a limit-walk finding into a zod issue at the right path. */
const reportLimit = (ctx: z.RefinementCtx, problem: LimitProblem | undefined): void => {
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, fatal: true });
};

// ---------------------------------------------------------------------------------------------
// Leaves

export const ATTR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const APP_FOLDER_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const USER_FOLDER_ID_PATTERN = /^[^|:]+$/;
export const CONVERSATION_TARGET_PATTERN = /^[^|]+$/;
export const MAX_APP_FOLDERS = 50;
export const MAX_LISTED_CONVERSATIONS = 1000;

/** 1 = p2p, 2 = advanced team, 3 = super team. */
export const conversationTypeSchema = z
  .literal([1, 2, 3], {
    error: (issue) =>
      issue.input === undefined
        ? 'required; expected a conversation type 1, 2 or 3'
        : `expected a conversation type 1 (p2p), 2 (advanced team) or 3 (super team), got ${JSON.stringify(issue.input) ?? kindOf(issue.input)}`,
  })
  .describe('1 p2p (target: the peer account), 2 advanced team, 3 super team (target: the team id)');

/** A bounded string; each check aborts so one bad value gives one message. */
const boundedString = (what: string, max: number) =>
  z
    .string({ error: expected(`${what} (string)`) })
    .min(1, { message: 'must not be empty', abort: true })
    .max(max, { message: `must be at most ${max} characters`, abort: true });

const attrNameSchema = boundedString('an attribute name', 64).regex(ATTR_NAME_PATTERN, {
  message: `must match ${ATTR_NAME_PATTERN.source}`,
});

const scalarSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: expected('a string, number or boolean'),
});

// ---------------------------------------------------------------------------------------------
// Rules. Each shape is a strict object; `ruleNode` picks the shape by its key before parsing,
// so errors talk about the shape the user meant instead of listing every union branch.

const nonEmptyRuleList = (key: string) =>
  z
    .array(ruleNode, { error: expected(`a list of rules`) })
    .min(1, `must not be empty (an empty "${key}" is always ${key === 'all'})`);

const allRuleSchema = strictObject(
  {
    get all() {
      return nonEmptyRuleList('all');
    },
  },
  'an "all" rule',
);
const anyRuleSchema = strictObject(
  {
    get any() {
      return nonEmptyRuleList('any');
    },
  },
  'an "any" rule',
);
const notRuleSchema = strictObject(
  {
    get not() {
      return ruleNode;
    },
  },
  'a "not" rule',
);
const typeRuleSchema = strictObject(
  {
    type: z
      .array(conversationTypeSchema, { error: expected('a list of conversation types') })
      .min(1, 'must not be empty'),
  },
  'a "type" rule',
);
const eqRuleSchema = strictObject({ attr: attrNameSchema, eq: scalarSchema }, 'an "eq" rule');
const inRuleSchema = strictObject(
  {
    attr: attrNameSchema,
    in: z.array(scalarSchema, { error: expected('a list of values') }).min(1, 'must not be empty'),
  },
  'an "in" rule',
);
const hasRuleSchema = strictObject(
  { attr: attrNameSchema, has: z.string({ error: expected('a string') }) },
  'a "has" rule',
);
const existsRuleSchema = strictObject(
  { attr: attrNameSchema, exists: z.boolean({ error: expected('true or false') }) },
  'an "exists" rule',
);

// The recursive shapes are written out because TypeScript cannot infer a type that refers to
// itself through `z.output`; `ruleNode`'s annotation makes the compiler check they match the schemas.
export interface AllRule {
  all: Rule[];
}
export interface AnyRule {
  any: Rule[];
}
export interface NotRule {
  not: Rule;
}
export type TypeRule = z.output<typeof typeRuleSchema>;
export type EqRule = z.output<typeof eqRuleSchema>;
export type InRule = z.output<typeof inRuleSchema>;
export type HasRule = z.output<typeof hasRuleSchema>;
export type ExistsRule = z.output<typeof existsRuleSchema>;
export type Rule = AllRule | AnyRule | NotRule | TypeRule | EqRule | InRule | HasRule | ExistsRule;

/** The key that identifies each shape, in the order the error message lists them. */
const SHAPES = {
  all: allRuleSchema,
  any: anyRuleSchema,
  not: notRuleSchema,
  type: typeRuleSchema,
  eq: eqRuleSchema,
  in: inRuleSchema,
  has: hasRuleSchema,
  exists: existsRuleSchema,
} as const;
type ShapeKey = keyof typeof SHAPES;
const SHAPE_KEYS = Object.keys(SHAPES) as ShapeKey[];
const UNKNOWN_RULE =
  'unknown rule; expected one of all, any, not, type, attr+eq, attr+in, attr+has, attr+exists';

/** A rule without the size limits (those are checked once, on the whole tree, by `ruleSchema`). */
const ruleNode: z.ZodType<Rule, unknown> = z.unknown().transform((input, ctx): Rule => {
  if (!isRecord(input)) {
    ctx.addIssue({ code: 'custom', message: expected('a rule object')({ input }) });
    return z.NEVER;
  }
  const present = SHAPE_KEYS.filter((key) => Object.hasOwn(input, key));
  const [shape, ...others] = present;
  if (shape === undefined) {
    ctx.addIssue({ code: 'custom', message: UNKNOWN_RULE });
    return z.NEVER;
  }
  if (others.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `ambiguous rule: it has ${present.map((k) => `"${k}"`).join(' and ')}; a rule must have exactly one of all, any, not, type, eq, in, has, exists`,
    });
    return z.NEVER;
  }
  const result = SHAPES[shape].safeParse(input);
  if (result.success) return result.data;
  // Re-raise the shape's issues here; parents prefix their own path segments.
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: [...issue.path] });
  return z.NEVER;
});

/** A rule with its size limits: at most MAX_RULE_DEPTH levels and MAX_RULE_NODES nodes. */
export const ruleSchema = z
  .unknown()
  .superRefine((input, ctx) => reportLimit(ctx, findRuleLimitProblem(input, [], { used: 0, scope: 'rule' })))
  .pipe(ruleNode);

/** Every shape, by the key that identifies it. */
export const RULE_SHAPES = SHAPES;
/**
 * What `ruleNode` and `ruleSchema` accept, declaratively, for docs/openapi.json (see
 * src/stand-ins.ts): exactly one of the shapes. The size limits are not in it.
 */
export const ruleStandIn = z.xor(Object.values(SHAPES));
standIns.set(ruleNode, ruleStandIn);
standIns.set(ruleSchema, ruleStandIn);

// ---------------------------------------------------------------------------------------------
// Folders

// a pattern, not a refinement, so that docs/openapi.json states it (\S matches what trim() does not strip)
const folderNameSchema = boundedString('a folder name', 64).regex(/\S/, { message: 'must not be blank' });

export const appFolderIdSchema = boundedString('a folder id', 64).regex(APP_FOLDER_ID_PATTERN, {
  message: `must match ${APP_FOLDER_ID_PATTERN.source} (lowercase letters, digits, "_" and "-")`,
});

export const userFolderIdSchema = boundedString('a folder id', 128).regex(USER_FOLDER_ID_PATTERN, {
  message: 'must not contain "|" or ":"',
});

export const conversationRefSchema = strictObject(
  {
    type: conversationTypeSchema,
    target: boundedString('a conversation target', 128).regex(CONVERSATION_TARGET_PATTERN, {
      message: 'must not contain "|"',
    }),
  },
  'a conversation',
);

export const appFolderSchema = strictObject(
  {
    id: appFolderIdSchema,
    name: folderNameSchema,
    rule: ruleSchema,
    deleteWhenEmpty: z.boolean({ error: expected('true or false') }).default(false),
  },
  'a folder',
);

const conversationListSchema = z
  .array(conversationRefSchema, { error: expected('a list of conversations') })
  .max(MAX_LISTED_CONVERSATIONS, `must have at most ${MAX_LISTED_CONVERSATIONS} conversations`);

export const userFolderSchema = strictObject(
  {
    id: userFolderIdSchema,
    name: folderNameSchema,
    rule: ruleSchema.optional(),
    include: conversationListSchema.optional(),
    exclude: conversationListSchema.optional(),
  },
  'a user folder',
);

const folderListSchema = z
  .array(appFolderSchema, { error: expected('a list of folders') })
  .max(MAX_APP_FOLDERS, `must have at most ${MAX_APP_FOLDERS} folders`)
  .superRefine((folders, ctx) => {
    const firstIndex = new Map<string, number>();
    folders.forEach((folder, index) => {
      const first = firstIndex.get(folder.id);
      if (first === undefined) firstIndex.set(folder.id, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: [index, 'id'],
          message: `duplicate folder id "${folder.id}"; folders[${first}] already uses it`,
        });
    });
  });

/**
 * The rules' version: when rules files differ across the fleet (a rolling deploy), the highest
 * version wins and an older file can never roll the fleet back. Unversioned rules are version 0.
 */
export const rulesVersionSchema = z
  .number({ error: expected('a whole number from 1 (the rules version)') })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(Number.MAX_SAFE_INTEGER, 'too large');

/**
 * The app-wide rules file. Folder order is kept: it is the priority order used when a
 * provider limit forces a choice. Limits are checked on the raw input first.
 */
export const rulesFileSchema = z
  .unknown()
  .superRefine((input, ctx) => reportLimit(ctx, findFileLimitProblem(input)))
  .pipe(
    strictObject({ version: rulesVersionSchema.optional(), folders: folderListSchema }, 'the rules file'),
  );

export type ConversationType = z.output<typeof conversationTypeSchema>;
export type ConversationRef = z.output<typeof conversationRefSchema>;
export type AppFolder = z.output<typeof appFolderSchema>;
export type UserFolder = z.output<typeof userFolderSchema>;
export type RulesFile = z.output<typeof rulesFileSchema>;
