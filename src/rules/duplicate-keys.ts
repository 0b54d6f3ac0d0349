/**
 * JSON.parse silently keeps the last of two equal keys, so a second "rule" would replace
 * the first unnoticed. YAML refuses duplicates; this makes JSON do the same.
 */
export interface DuplicateKey {
  path: (string | number)[];
  /** Offset of the repeated key's opening quote. */
  offset: number;
}

type Frame =
  | { kind: 'object'; keys: Set<string>; key: string; expectKey: boolean }
  | { kind: 'array'; index: number };

/**
 * Finds the first repeated key in text that JSON.parse has already accepted. A single
 * iterative pass (no recursion, so nesting depth does not matter) that tracks the path.
 */
export function findDuplicateJsonKey(json: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    const top = stack.at(-1);
    if (c === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (top?.kind === 'object' && top.expectKey) {
        const key: string = JSON.parse(json.slice(start, i + 1));
        if (top.keys.has(key)) return { path: [...pathTo(stack), key], offset: start };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    } else if (c === '{') stack.push({ kind: 'object', keys: new Set(), key: '', expectKey: true });
    else if (c === '[') stack.push({ kind: 'array', index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top) {
      if (top.kind === 'object') top.expectKey = true;
      else top.index++;
    }
  }
  return undefined;
}

/** Where the innermost (current) object sits: the key or index each enclosing level is in. */
const pathTo = (stack: Frame[]): (string | number)[] =>
  stack.slice(0, -1).map((frame) => (frame.kind === 'object' ? frame.key : frame.index));
