/**
 * Every relative link in README.md and docs/*.md points at a file that exists, and a `#anchor`
 * at a heading of that file (GitHub's slugs), so moving a section cannot leave a dead link.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text without fenced code blocks and inline code, where `](…)` is not a link. */
const prose = (markdown: string) =>
  markdown.replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const [, heading] of prose(markdown.replace(/`([^`\n]*)`/g, '$1')).matchAll(
    /^#{1,6}\s+(.+?)\s*#*$/gm,
  )) {
    const base = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n ? `${base}-${n}` : base);
  }
  return ids;
}

/** The relative link targets of a markdown file: `[text](target)` and `![alt](target)`. */
function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('links in the documentation', () => {
  it('the slugs are GitHub’s', () => {
    expect([
      ...anchors('# Tencent Cloud Chat (`PROVIDER=tencent`)\n## 7. Both providers side by side\n## A\n## A'),
    ]).toEqual(['tencent-cloud-chat-providertencent', '7-both-providers-side-by-side', 'a', 'a-1']);
    expect(links('[a](x.md) `[b](y.md)` [c](https://e.org) [d](#e)\n```\n[f](z.md)\n```')).toEqual([
      'x.md',
      '#e',
    ]);
  });

  it.each(DOCS)('%s: every relative link resolves, anchors included', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const dead: string[] = [];
    for (const target of links(text)) {
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = path ? join(dirname(join(ROOT, file)), decodeURIComponent(path)) : join(ROOT, file);
      if (!existsSync(resolved)) dead.push(`${target}: no file ${relative(ROOT, resolved)}`);
      else if (
        anchor !== undefined &&
        resolved.endsWith('.md') &&
        !anchors(readFileSync(resolved, 'utf8')).has(anchor)
      )
        dead.push(`${target}: no heading #${anchor} in ${relative(ROOT, resolved)}`);
    }
    expect(dead).toEqual([]);
  });
});
