import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './engine.js';
import type { ScenarioResult } from './scenario.js';

export const RESULTS_DIR = join(ROOT, 'bench/results');

export async function writeResult(result: ScenarioResult<unknown>): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${result.name}.json`);
  await writeFile(`${path}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return path;
}

export async function readResults(): Promise<Map<string, ScenarioResult<unknown>>> {
  const out = new Map<string, ScenarioResult<unknown>>();
  let files: string[] = [];
  try {
    files = await readdir(RESULTS_DIR);
  } catch {
    return out;
  }
  for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
    const result = JSON.parse(await readFile(join(RESULTS_DIR, file), 'utf8')) as ScenarioResult<unknown>;
    out.set(result.name, result);
  }
  return out;
}
