import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = resolve(ROOT, 'src/publisher/index.ts');

/**
 * Every source file the entry reaches and every package it imports, following every import and
 * re-export, `import type` included (the published .d.ts files keep those), and dynamic imports.
 */
function importGraph(entry: string): { files: string[]; packages: Map<string, string[]> } {
  const files = new Set<string>();
  const packages = new Map<string, string[]>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
        if (!existsSync(target)) throw new Error(`${relative(ROOT, file)}: cannot resolve ${specifier}`);
        todo.push(target);
      } else if (!isBuiltin(specifier)) {
        // a package's name: `@scope/name` or `name`, without a subpath
        const name = specifier
          .split('/')
          .slice(0, specifier.startsWith('@') ? 2 : 1)
          .join('/');
        packages.set(name, [...(packages.get(name) ?? []), relative(ROOT, file)]);
      }
    }
  }
  return { files: [...files].map((f) => relative(ROOT, f)), packages };
}

describe('yunxin-folder-sync/publisher', () => {
  it('imports no package but ioredis and zod (and the optional OpenTelemetry API, loaded if the app has it), whatever path leads there', () => {
    const { files, packages } = importGraph(ENTRY);
    // the walk reaches the shared publishing code and the vendored BullMQ script
    expect(files).toEqual(
      expect.arrayContaining([
        'src/jobs/publish.ts',
        'src/jobs/account-limits.ts',
        'src/events/validate.ts',
        'src/publisher/bullmq-add-standard-job.ts',
      ]),
    );
    const { '@opentelemetry/api': otel, ...required } = Object.fromEntries(packages);
    expect(required).toEqual({
      ioredis: expect.any(Array),
      zod: expect.any(Array),
    });
    // an optional peer: only trace-carrier.ts names it, and loads it with a guarded import()
    expect(new Set(otel)).toEqual(new Set(['src/publisher/trace-carrier.ts']));
  });
});
