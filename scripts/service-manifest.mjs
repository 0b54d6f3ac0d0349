#!/usr/bin/env node
// Rewrites package.json for an image that runs the service: the optional peer dependencies (the
// service's packages, which an app that only publishes does not install) become dependencies and
// the dev tooling goes, so that `npm prune --omit=dev` then keeps exactly what the service runs,
// at the versions `npm ci` installed from the lockfile. Used by the Dockerfile, never in a checkout.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package.json', import.meta.url);
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const pinned = Object.fromEntries(
  Object.keys(pkg.peerDependencies ?? {}).map((name) => [
    name,
    pkg.devDependencies?.[name] ?? pkg.peerDependencies[name],
  ]),
);
pkg.dependencies = { ...pkg.dependencies, ...pinned };
delete pkg.peerDependencies;
delete pkg.peerDependenciesMeta;
delete pkg.devDependencies;
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
