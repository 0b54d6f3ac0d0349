import { describe, expect, it } from 'vitest';
import { importGraph } from './import-graph.js';

/** Every cycle found by a depth-first walk of a graph (node → the nodes it points to), each as the nodes around it. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push(path.slice(path.indexOf(next)));
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('src/', () => {
  it('has no import cycle', () => {
    // type-only imports included: a cycle of types still ties two files together
    const files = new Map(
      [...importGraph()].map(([file, imports]) => [
        file,
        [...new Set(imports.filter((i) => !i.package).map((i) => i.target))],
      ]),
    );
    expect(cycles(files)).toEqual([]);
  });
});

describe('the cycle detector', () => {
  // the detector itself, on made-up graphs: a test that cannot fail proves nothing
  it('finds a cycle when there is one, with the files around it', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', []],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('finds a file that imports itself, and a cycle reached only from outside it', () => {
    const graph = new Map([
      ['entry.ts', ['x.ts', 'self.ts']],
      ['x.ts', ['y.ts']],
      ['y.ts', ['x.ts']],
      ['self.ts', ['self.ts']],
    ]);
    expect(cycles(graph)).toEqual([['x.ts', 'y.ts'], ['self.ts']]);
  });

  it('finds none in an acyclic graph, shared imports (a diamond) included', () => {
    const graph = new Map([
      ['top.ts', ['left.ts', 'right.ts']],
      ['left.ts', ['bottom.ts']],
      ['right.ts', ['bottom.ts', 'outside.ts']],
      ['bottom.ts', []],
    ]);
    expect(cycles(graph)).toEqual([]);
  });
});
