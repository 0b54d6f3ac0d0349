import { unwatchFile, watchFile } from 'node:fs';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_NAMES } from '../jobs/queues.js';
import type { Logger } from '../log.js';
import { loadRulesFile } from '../rules/load.js';
import type { RulesFile } from '../rules/schema.js';
import type { Keys } from '../store/keys.js';

export interface LiveRules {
  current(): RulesFile;
  hash(): string;
  stop(): void;
}

/**
 * Holds the app's rules and notices when their content changes: at start (another process ran
 * older rules) and while running (the file is polled). Whichever process first records a new
 * hash in Redis queues one fleet-wide re-reconcile; a bad edit is logged and the last good
 * rules stay in force.
 */
export async function watchRules(opts: {
  path: string;
  redis: Redis;
  keys: Keys;
  maintenance: Queue;
  log: Logger;
  pollMs?: number;
}): Promise<LiveRules> {
  let loaded = await loadRulesFile(opts.path);
  const announce = async (hash: string) => {
    const previous = await opts.redis.set(opts.keys.rulesHash, hash, 'GET');
    if (previous !== hash) {
      opts.log.info({ hash, previous }, 'folder rules changed: reconciling every known account');
      // jobId = hash: every process that sees the same change adds it once
      await opts.maintenance.add(JOB_NAMES.rulesChanged, { hash }, { jobId: `rules-${hash}` });
    }
  };
  await announce(loaded.hash);
  const onChange = () => {
    loadRulesFile(opts.path)
      .then(async (next) => {
        if (next.hash === loaded.hash) return;
        loaded = next;
        await announce(next.hash);
      })
      .catch((error: unknown) =>
        opts.log.error({ err: error }, 'rules file changed but is invalid; keeping the previous rules'),
      );
  };
  watchFile(opts.path, { interval: opts.pollMs ?? 2000 }, onChange);
  return {
    current: () => loaded.rules,
    hash: () => loaded.hash,
    stop: () => unwatchFile(opts.path, onChange),
  };
}
