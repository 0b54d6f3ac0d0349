/**
 * `yunxin-folder-sync/testing`: the Yunxin and Tencent simulators, for an app's own tests. Each
 * serves the real endpoints over HTTP with the documented limits, error codes and state, so a
 * test can run the workers against it and read the groups back.
 */
export {
  startTencentSimulator,
  TENCENT_DEMO_APP,
  type TencentSimulator,
  type TencentSimulatorOptions,
} from './tencent/simulator/server.js';
export {
  DEMO_APP,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from './yunxin/simulator/server.js';
