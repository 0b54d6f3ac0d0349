// Prints the configuration tables for README.md: `npx tsx scripts/config-table.ts`;
// with --count, how many settings each holds.
import { configCounts, configTable } from '../src/config-table.js';

console.log(process.argv.includes('--count') ? configCounts() : configTable());
