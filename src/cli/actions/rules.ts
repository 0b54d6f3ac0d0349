import { keysOf } from '../../config.js';
import { installRules, readFleetRules } from '../../fleet/rules.js';
import { parseDeployment } from '../../fleet/sentinel.js';
import { enqueueRulesWalk } from '../../jobs/maintenance-jobs.js';
import { openQueue, QUEUES } from '../../jobs/queues.js';
import { withScripts } from '../../store/scripts.js';
import { commandRedis } from '../command-redis.js';
import { configOrExit } from '../config-or-exit.js';
import { EXIT } from '../exit-codes.js';
import type { RulesShowFlags } from '../flags.js';

const time = (ms: number) => new Date(ms).toISOString();

export async function rulesShowAction(o: RulesShowFlags): Promise<void> {
  const config = configOrExit();
  const { redis } = commandRedis(config, 'rules');
  try {
    const keys = keysOf(config);
    const { stored, held } = await readFleetRules(redis, keys);
    const deployment = parseDeployment(await redis.get(keys.deployment));
    if (o.json) return console.log(JSON.stringify({ rules: stored, held, deployment }, null, 2));
    if (!stored) console.log('the fleet has no rules yet: the first worker to start installs its file');
    else
      console.log(
        `fleet rules: version ${stored.version || 'none (unversioned)'}, generation ${stored.generation}, ` +
          `hash ${stored.hash.slice(0, 12)}, installed ${time(stored.installedAt)}, ` +
          `${stored.walked >= stored.generation ? 'every account re-reconciled' : 're-reconciling every account'}; ` +
          `folders: ${stored.rules.folders.map((f) => f.id).join(', ') || '(none)'}`,
      );
    if (held)
      console.log(
        `HELD: version ${held.version || 'none'} (hash ${held.hash.slice(0, 12)}) since ${time(held.heldAt)} would delete ` +
          `${held.estimate.deletes} of ${held.estimate.managed} app-folder groups in ${held.estimate.sampled} sampled accounts; ` +
          `folders: ${held.rules.folders.map((f) => f.id).join(', ') || '(none)'}. ` +
          `Confirm with: folder-sync rules confirm ${held.version || held.hash.slice(0, 12)}`,
      );
    if (deployment)
      console.log(
        `deployment epoch ${deployment.epoch} since ${time(deployment.createdAt)}` +
          (deployment.dataLoss ? ` (Redis lost data: ${deployment.dataLoss.reason})` : ''),
      );
  } finally {
    redis.disconnect();
  }
}

export async function rulesConfirmAction(which: string): Promise<void> {
  const config = configOrExit();
  const { redis: connection, onError } = commandRedis(config, 'rules');
  const redis = withScripts(connection);
  const keys = keysOf(config);
  try {
    const { stored, held } = await readFleetRules(redis, keys);
    if (!held) {
      console.error('no rules change is held');
      process.exit(EXIT.failure);
    }
    const matches =
      (held.version > 0 && which === String(held.version)) ||
      (which.length >= 6 && held.hash.startsWith(which));
    if (!matches) {
      console.error(
        `the held change is version ${held.version || 'none'}, hash ${held.hash.slice(0, 12)}: not "${which}"`,
      );
      process.exit(EXIT.usage);
    }
    const generation = await installRules(redis, keys, held.rules, held.hash, stored?.generation, Date.now());
    if (generation === 0) {
      console.error('the fleet rules changed meanwhile: look again with `folder-sync rules show`');
      process.exit(EXIT.failure);
    }
    const installed = (await readFleetRules(redis, keys)).stored;
    if (installed) {
      const queue = openQueue(QUEUES.maintenance, redis, config.QUEUE_PREFIX, onError);
      await enqueueRulesWalk(queue, installed);
      await queue.close();
    }
    console.log(`installed as generation ${generation}: every known account is reconciled under it`);
  } finally {
    redis.disconnect();
  }
}
