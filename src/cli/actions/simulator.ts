import { createLogger } from '../../log.js';
import { TENCENT_DEMO_APP } from '../../simulators/tencent/demo-app.js';
import { startTencentSimulator } from '../../simulators/tencent/server.js';
import { DEMO_APP } from '../../simulators/yunxin/demo-app.js';
import { startSimulator } from '../../simulators/yunxin/server.js';
import type { SimulatorFlags } from '../commands/simulator.js';
import { onShutdown } from '../shutdown.js';

/** A simulator of the chosen provider with the credentials its clients will use. */
function start(o: SimulatorFlags) {
  const common = {
    port: Number(o.port),
    host: o.host,
    rateLimit: { ...(o.rate === undefined ? {} : { perSecond: Number(o.rate) }), blockMs: Number(o.blockMs) },
    admin: o.admin,
    adminToken: process.env.SIMULATOR_ADMIN_TOKEN || undefined,
  };
  if (o.provider === 'tencent') {
    const app = {
      sdkappid: Number(o.sdkappid),
      // empty means unset, as in the configuration
      secretKey: process.env.TENCENT_SECRET_KEY || TENCENT_DEMO_APP.secretKey,
      admin: process.env.TENCENT_ADMIN || TENCENT_DEMO_APP.admin,
    };
    return startTencentSimulator({ ...common, apps: [app] });
  }
  return startSimulator({
    ...common,
    apps: { [o.appKey]: process.env.YUNXIN_APP_SECRET ?? DEMO_APP.appSecret },
  });
}

export async function simulatorAction(o: SimulatorFlags): Promise<void> {
  const log = createLogger({ name: 'simulator' });
  const sim = await start(o);
  const who = o.provider === 'tencent' ? { sdkappid: Number(o.sdkappid) } : { appKey: o.appKey };
  log.info(
    { url: sim.url, provider: o.provider, ...who, admin: o.admin },
    `${o.provider === 'tencent' ? 'Tencent' : 'Yunxin'} simulator listening`,
  );
  onShutdown(log, () => sim.close());
}
