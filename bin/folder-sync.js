#!/usr/bin/env node
// Runs the compiled CLI in dist/. A checkout builds it on `npm ci` (the prepare script) and again
// before `npm start` and `npm test`; the published package ships it.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `folder-sync needs Node.js 24 or later; this is ${process.version} (README, "Requirements").`,
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
