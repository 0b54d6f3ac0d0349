// Module resolution hooks (registered with `node --import`): print on stderr each module the
// process imports, as "imported <url> from <parent url>", so a test can tell what a command loads.
import { writeSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  // synchronous, so nothing is lost when the process exits right after (as --help does)
  writeSync(2, `imported ${resolved.url} from ${context.parentURL}\n`);
  return resolved;
}
