import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const SRC = resolve(import.meta.dirname, '../../src');

/** One import of a module: of a project file (its path relative to src/) or of a package (its name). */
export interface Import {
  target: string;
  package: boolean;
  /**
   * Erased from the JavaScript: `import type …`, `export type … from`. `import { type X }` is not:
   * under verbatimModuleSyntax it still loads the module (`import {} from`).
   */
  typeOnly: boolean;
}

/** A package's name from a bare specifier (`@scope/name/sub` → `@scope/name`); undefined for node: builtins. */
function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The imports of a module's text: static, side-effect only, dynamic and re-exports. `file` is
 * its path relative to src/ (relative specifiers resolve against it).
 */
export function importsIn(text: string, file: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.')) {
      const target = join(dirname(file), specifier.replace(/\.js$/, '.ts'));
      found.push({ target, package: false, typeOnly });
    } else {
      const name = packageName(specifier);
      if (name) found.push({ target: name, package: true, typeOnly });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly ?? false);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, node.isTypeOnly);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      add(node.arguments[0].text, false);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** src/ as a graph: each file (relative to src/) → its imports. */
export function importGraph(): Map<string, Import[]> {
  return new Map(
    sourceFiles(SRC).map((f) => {
      const file = relative(SRC, f);
      return [file, importsIn(readFileSync(f, 'utf8'), file)];
    }),
  );
}
