/** The app the Yunxin simulator serves unless told otherwise (light: the CLI's help shows its AppKey). */
export const DEMO_APP = { appKey: 'demo-app-key', appSecret: 'demo-app-secret' } as const;
