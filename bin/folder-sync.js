#!/usr/bin/env node
// Runs the compiled CLI in dist/. A checkout builds it on `npm ci` (the prepare script) and again
// before `npm start` and `npm test`; the published package ships it.
import { readFileSync } from 'node:fs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `folder-sync needs Node.js 24 or later; this is ${process.version} (README, "Two commands").`,
  );
  process.exit(2);
}
// The service's packages are optional peers (an app that only publishes needs none of them).
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const missing = Object.entries(pkg.peerDependencies ?? {}).filter(([name]) => {
  try {
    import.meta.resolve(name);
    return false;
  } catch {
    return true;
  }
});
if (missing.length) {
  const specs = missing.map(([name, range]) => `'${name}@${range}'`).join(' ');
  console.error(
    `folder-sync runs the service, which needs packages an app that only publishes does not: npm install ${specs}`,
  );
  process.exit(2);
}
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('folder-sync is not built: run `npm run build` (npm ci does it in a checkout).');
    process.exit(2);
  }
  throw error;
}
