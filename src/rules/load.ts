import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { contentHash } from './canonical-json.js';
import { findDuplicateJsonKey } from './duplicate-keys.js';
import { formatPath, formatZodIssues } from './format-issues.js';
import { type RulesFile, rulesFileSchema } from './schema.js';

export type RulesFormat = 'json' | 'yaml';

export type ParseRulesResult = { ok: true; rules: RulesFile; hash: string } | { ok: false; error: string };

/** A rules file is configuration, not data: anything near this size is a mistake. */
export const MAX_RULES_TEXT_LENGTH = 1024 * 1024;

/** By extension (.json, .yaml, .yml, any case); otherwise text starting with `{` or `[` is JSON. */
export function detectRulesFormat(path: string, text: string): RulesFormat {
  const ext = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  return /^\uFEFF?\s*[[{]/.test(text) ? 'json' : 'yaml';
}

/**
 * Parses and validates rules text. Never throws: every problem comes back as one message,
 * `path: reason` for the first problem found (plus a count of any others).
 * The hash is over the validated rules in canonical JSON, so formatting, key order and
 * JSON-vs-YAML do not change it, and neither does spelling out a default.
 */
export function parseRulesText(text: string, format: RulesFormat): ParseRulesResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (source.length > MAX_RULES_TEXT_LENGTH) {
    return { ok: false, error: `too large: ${source.length} characters; at most ${MAX_RULES_TEXT_LENGTH}` };
  }
  const syntax = format === 'json' ? parseJson(source) : parseYaml(source);
  if (!syntax.ok) return syntax;
  const parsed = rulesFileSchema.safeParse(syntax.value);
  if (!parsed.success) {
    const [first = 'invalid rules', ...rest] = formatZodIssues(parsed.error);
    const more = rest.length === 0 ? '' : ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
    return { ok: false, error: first + more };
  }
  return { ok: true, rules: parsed.data, hash: contentHash(parsed.data) };
}

export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
  constructor(
    readonly filePath: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`folder rules file ${filePath}: ${reason}`, options);
  }
}

/** Reads, parses and validates a rules file; throws RulesFileError naming the file and the problem. */
export async function loadRulesFile(path: string): Promise<{ rules: RulesFile; hash: string }> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_RULES_TEXT_LENGTH) {
      throw new RulesFileError(path, `too large: ${size} bytes; at most ${MAX_RULES_TEXT_LENGTH}`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof RulesFileError) throw error;
    throw new RulesFileError(path, `cannot be read (${messageOf(error)})`, { cause: error });
  }
  const result = parseRulesText(text, detectRulesFormat(path, text));
  if (!result.ok) throw new RulesFileError(path, result.error);
  return { rules: result.rules, hash: result.hash };
}

// ---------------------------------------------------------------------------------------------

type Syntax = { ok: true; value: unknown } | { ok: false; error: string };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function parseJson(text: string): Syntax {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 reports "… in JSON at position N" for most errors (Node 22+ adds "(line L column C)").
    const message = messageOf(error);
    const at = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(message);
    if (at)
      return {
        ok: false,
        error: `JSON syntax error at ${lineColumn(text, Number(at[1]))}: ${message.slice(0, at.index)}`,
      };
    if (/end of JSON input/.test(message)) {
      return { ok: false, error: `JSON syntax error at ${lineColumn(text, text.length)}: ${message}` };
    }
    return { ok: false, error: `JSON syntax error: ${message}` };
  }
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate) {
    return {
      ok: false,
      error: `${formatPath(duplicate.path)}: duplicate key at ${lineColumn(text, duplicate.offset)}`,
    };
  }
  return { ok: true, value };
}

function parseYaml(text: string): Syntax {
  try {
    const doc = parseDocument(text, { prettyErrors: false, logLevel: 'error' });
    const [first] = doc.errors;
    if (first) {
      // The parser's own wording for this one is advice to programmers.
      const reason =
        first.code === 'MULTIPLE_DOCS' ? 'a rules file must be a single YAML document' : first.message;
      return { ok: false, error: `YAML syntax error at ${lineColumn(text, first.pos[0])}: ${reason}` };
    }
    return { ok: true, value: doc.toJS() }; // toJS refuses alias bombs (maxAliasCount)
  } catch (error) {
    return { ok: false, error: `YAML error: ${messageOf(error)}` };
  }
}
