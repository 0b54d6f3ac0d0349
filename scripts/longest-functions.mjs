#!/usr/bin/env node
// Lists the longest functions under src/ (lines from signature to closing brace), longest first:
// `node scripts/longest-functions.mjs [count]`. What "keep functions short" is measured with.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = new URL('../src/', import.meta.url).pathname;
const files = readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts'));
const found = [];
for (const file of files) {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const line = (pos) => source.getLineAndCharacterOfPosition(pos).line;
      const name =
        node.name?.getText() ??
        (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
      found.push({
        lines: line(node.end) - line(node.getStart()) + 1,
        where: `src/${file}:${line(node.getStart()) + 1}`,
        name,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.lines - a.lines);
for (const f of found.slice(0, Number(process.argv[2] ?? 10)))
  console.log(`${f.lines}\t${f.where}\t${f.name}`);
