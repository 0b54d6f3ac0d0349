import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  installedAddStandardJob,
  VENDORED_FILE,
  vendoredSource,
} from '../../scripts/vendor-bullmq-script.js';
import { ADD_STANDARD_JOB, BULLMQ_VERSION } from '../../src/publisher/bullmq-add-standard-job.js';

describe('the vendored addStandardJob script', () => {
  it("is the installed bullmq's, as the generator writes it (after a bullmq upgrade: npx tsx scripts/vendor-bullmq-script.ts)", () => {
    const installed = installedAddStandardJob();
    expect({ bullmqVersion: BULLMQ_VERSION, ...ADD_STANDARD_JOB }).toEqual(installed);
    expect(readFileSync(VENDORED_FILE, 'utf8')).toBe(vendoredSource(installed));
  });
});
