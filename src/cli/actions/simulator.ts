import { canonicalEnv } from '../../config.js';
import { createLogger } from '../../log.js';
import { TENCENT_DEMO_APP } from '../../simulators/tencent/demo-app.js';
import { startTencentSimulator } from '../../simulators/tencent/server.js';
import { DEMO_APP } from '../../simulators/yunxin/demo-app.js';
import { startSimulator } from '../../simulators/yunxin/server.js';
import { orExit } from '../config-or-exit.js';
import type { SimulatorFlags } from '../flags.js';
import { onShutdown } from '../shutdown.js';

/**
 * The app the simulator accepts: the flags, else the one the workers are configured with when
 * it stands in for the configured PROVIDER, else the demo app. Empty means unset, as in the
 * configuration.
 */
function appOf(o: SimulatorFlags) {
  const env = orExit(() => canonicalEnv(process.env));
  const configured = o.provider === (env.PROVIDER || 'yunxin') ? env : {};
  const demo =
    o.provider === 'tencent'
      ? { id: String(TENCENT_DEMO_APP.sdkappid), secret: TENCENT_DEMO_APP.secretKey }
      : { id: DEMO_APP.appKey, secret: DEMO_APP.appSecret };
  return {
    id: (o.provider === 'tencent' ? o.sdkappid : o.appKey) || configured.PROVIDER_APP_ID || demo.id,
    secret: configured.PROVIDER_SECRET || demo.secret,
    admin: configured.TENCENT_ADMIN || TENCENT_DEMO_APP.admin,
  };
}

/** A simulator of the chosen provider with the credentials its clients will use. */
function start(o: SimulatorFlags, app: ReturnType<typeof appOf>) {
  const common = {
    port: Number(o.port),
    host: o.host,
    rateLimit: { ...(o.rate === undefined ? {} : { perSecond: Number(o.rate) }), blockMs: Number(o.blockMs) },
    admin: o.admin,
    adminToken: process.env.SIMULATOR_ADMIN_TOKEN || undefined,
  };
  if (o.provider === 'tencent') {
    const tencent = { sdkappid: Number(app.id), secretKey: app.secret, admin: app.admin };
    return startTencentSimulator({ ...common, apps: [tencent] });
  }
  return startSimulator({ ...common, apps: { [app.id]: app.secret } });
}

export async function simulatorAction(o: SimulatorFlags): Promise<void> {
  const log = createLogger({ name: 'simulator' });
  const app = appOf(o);
  const sim = await start(o, app);
  const who = o.provider === 'tencent' ? { sdkappid: Number(app.id) } : { appKey: app.id };
  log.info(
    { url: sim.url, provider: o.provider, ...who, admin: o.admin },
    `${o.provider === 'tencent' ? 'Tencent' : 'Yunxin'} simulator listening`,
  );
  onShutdown(log, () => sim.close());
}
