import type { TencentApp } from './auth.js';

/** The app the Tencent simulator serves unless told otherwise (light: the CLI's help shows its SDKAppID). */
export const TENCENT_DEMO_APP: TencentApp = {
  sdkappid: 1400000000,
  secretKey: 'demo-tencent-secret-key',
  admin: 'administrator',
};
