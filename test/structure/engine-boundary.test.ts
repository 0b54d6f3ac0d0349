import { describe, expect, it } from 'vitest';
import { type Import, importGraph, importsIn } from './import-graph.js';

/**
 * The reconcile engine and the pure core stay apart from the I/O shell (docs/architecture.md).
 * The rules:
 * 1. Nothing in src/reconcile, src/plan, src/rules or src/facts loads bullmq, ioredis or undici,
 *    directly or through the project files it loads. `import type` is erased and does not count
 *    (the engine may name the types of src/store, whose connection is passed in); `import { type X }`
 *    counts, as it still loads the module.
 * 2. None of them imports, not even a type, from the BullMQ glue (src/jobs, src/workers) or the
 *    entry points (src/cli, src/http): they call the engine, never the other way round.
 * 3. The pure core (src/plan, src/rules, src/facts) imports, types included, only from itself,
 *    the event schemas (src/events) and the shared helpers src/steps.ts and src/stand-ins.ts, and
 *    no package but zod and yaml: it is handed data, never a store, a provider or a logger.
 */
const ENGINE = ['reconcile/', 'plan/', 'rules/', 'facts/'];
const PURE = ['plan/', 'rules/', 'facts/'];
const DRIVERS = new Set(['bullmq', 'ioredis', 'undici']);
const GLUE = ['jobs/', 'workers/', 'cli/', 'http/'];
const PURE_MAY_IMPORT = [...PURE, 'events/', 'steps.ts', 'stand-ins.ts'];
const PURE_PACKAGES = new Set(['zod', 'yaml']);

const under = (dirs: readonly string[]) => (file: string) => dirs.some((d) => file.startsWith(d));
/** rule 2 */
const notGlue = (i: Import) => i.package || !under(GLUE)(i.target);
/** rule 3 */
const pureMayImport = (i: Import) =>
  i.package ? PURE_PACKAGES.has(i.target) : under(PURE_MAY_IMPORT)(i.target);

/** The packages a file loads at run time, each with the chain of project files that loads it. */
function packagesLoaded(graph: ReadonlyMap<string, readonly Import[]>, start: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set([start]);
  const walk = (file: string, trail: string[]) => {
    for (const i of graph.get(file) ?? []) {
      if (i.typeOnly) continue;
      if (i.package) {
        if (!found.has(i.target)) found.set(i.target, trail);
      } else if (!seen.has(i.target)) {
        seen.add(i.target);
        walk(i.target, [...trail, i.target]);
      }
    }
  };
  walk(start, [start]);
  return found;
}

/** Rule 1's breaches: `file loads package (via a → b → …)`. */
function driversLoaded(graph: ReadonlyMap<string, readonly Import[]>): string[] {
  return [...graph.keys()]
    .filter(under(ENGINE))
    .flatMap((file) =>
      [...packagesLoaded(graph, file)]
        .filter(([name]) => DRIVERS.has(name))
        .map(([name, trail]) => `${file} loads ${name} (via ${trail.join(' → ')})`),
    );
}

/** The imports of the files under `dirs` that `allowed` refuses, as `file → target`. */
function importsRefused(
  graph: ReadonlyMap<string, readonly Import[]>,
  dirs: readonly string[],
  allowed: (i: Import) => boolean,
): string[] {
  return [...graph]
    .filter(([file]) => under(dirs)(file))
    .flatMap(([file, imports]) => imports.filter((i) => !allowed(i)).map((i) => `${file} → ${i.target}`));
}

describe('the engine and the pure core', () => {
  const graph = importGraph();

  it('load no driver: bullmq, ioredis, undici (rule 1)', () => {
    expect(driversLoaded(graph)).toEqual([]);
  });

  it('import nothing of the BullMQ glue or the entry points, types included (rule 2)', () => {
    expect(importsRefused(graph, ENGINE, notGlue)).toEqual([]);
  });

  it('the pure core imports only itself, the event schemas, the shared helpers, zod and yaml (rule 3)', () => {
    expect(importsRefused(graph, PURE, pureMayImport)).toEqual([]);
  });
});

describe('the boundary checks themselves', () => {
  // on made-up modules: a check that cannot fail proves nothing
  it('tell an erased type import from one that loads its module', () => {
    const text = [
      "import type { Redis } from 'ioredis';",
      "import { type Job } from 'bullmq';",
      "export type { Lease } from '../store/account-store.js';",
      "export { plan } from '../plan/planner.js';",
      "import '../telemetry/start.js';",
      "const undici = await import('undici');",
      "import { readFile } from 'node:fs/promises';",
      "import { z } from '@scope/pkg/sub';",
    ].join('\n');
    expect(importsIn(text, 'reconcile/x.ts')).toEqual([
      { target: 'ioredis', package: true, typeOnly: true },
      { target: 'bullmq', package: true, typeOnly: false },
      { target: 'store/account-store.ts', package: false, typeOnly: true },
      { target: 'plan/planner.ts', package: false, typeOnly: false },
      { target: 'telemetry/start.ts', package: false, typeOnly: false },
      { target: 'undici', package: true, typeOnly: false },
      { target: '@scope/pkg', package: true, typeOnly: false },
    ]);
  });

  it('find a driver loaded through other files, and none behind a type-only import', () => {
    const file = (target: string, typeOnly = false): Import => ({ target, package: false, typeOnly });
    const pkg = (target: string, typeOnly = false): Import => ({ target, package: true, typeOnly });
    const graph = new Map<string, Import[]>([
      ['reconcile/a.ts', [file('store/types.ts', true), file('store/codec.ts')]],
      ['reconcile/b.ts', [file('store/codec.ts'), pkg('ioredis', true)]],
      ['store/types.ts', [pkg('ioredis')]],
      ['store/codec.ts', [file('store/connection.ts')]],
      ['store/connection.ts', [pkg('ioredis'), pkg('zod')]],
      ['plan/c.ts', [pkg('zod')]],
    ]);
    expect(driversLoaded(graph)).toEqual([
      'reconcile/a.ts loads ioredis (via reconcile/a.ts → store/codec.ts → store/connection.ts)',
      'reconcile/b.ts loads ioredis (via reconcile/b.ts → store/codec.ts → store/connection.ts)',
    ]);
    graph.set('store/codec.ts', []);
    expect(driversLoaded(graph)).toEqual([]);
  });

  it('refuse a type import from the glue, and let the pure core import only what rule 3 allows', () => {
    const graph = new Map<string, Import[]>([
      ['reconcile/a.ts', [{ target: 'jobs/queues.ts', package: false, typeOnly: true }]],
      ['plan/b.ts', [{ target: 'store/keys.ts', package: false, typeOnly: true }]],
      ['plan/c.ts', [{ target: 'rules/schema.ts', package: false, typeOnly: false }]],
    ]);
    expect(importsRefused(graph, ENGINE, notGlue)).toEqual(['reconcile/a.ts → jobs/queues.ts']);
    expect(importsRefused(graph, PURE, pureMayImport)).toEqual(['plan/b.ts → store/keys.ts']);
  });
});
