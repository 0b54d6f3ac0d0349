// Writes docs/openapi.json, the ingest API made from the schemas: `npx tsx scripts/openapi.ts`
import { writeFileSync } from 'node:fs';
import { openApiJson } from '../src/http/openapi.js';

writeFileSync(new URL('../docs/openapi.json', import.meta.url), openApiJson());
