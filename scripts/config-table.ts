// Prints the configuration table for README.md: `npx tsx scripts/config-table.ts`
import { configTable } from '../src/config-table.js';

console.log(configTable());
