/**
 * `yunxin-folder-sync/testing`: the Yunxin and Tencent simulators, for an app's own tests. Each
 * serves the real endpoints over HTTP with the documented limits, error codes and state, so a
 * test can run the workers against it and read the groups back.
 */
export { TENCENT_DEMO_APP } from './simulators/tencent/demo-app.js';
export {
  startTencentSimulator,
  type TencentSimulator,
  type TencentSimulatorOptions,
} from './simulators/tencent/server.js';
export { DEMO_APP } from './simulators/yunxin/demo-app.js';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulators/yunxin/server.js';
