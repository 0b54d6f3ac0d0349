/**
 * What each command's options parse to: declared with commander in commands/, read by the action
 * in actions/. Apart from both, so that an action's types do not tie it back to its command (the
 * command imports the action when it runs: the one direction between them).
 */

/** `folder-sync status|plan` */
export interface AccountFlags {
  account: string;
  json: boolean;
}

/** `folder-sync resync` */
export interface ResyncFlags {
  account?: string;
  all: boolean;
}

/** `folder-sync dev` */
export interface DevFlags {
  demo: boolean;
}

/** `folder-sync publish` */
export interface PublishFlags {
  json: boolean;
}

/** `folder-sync rules show` */
export interface RulesShowFlags {
  json: boolean;
}

/** `folder-sync simulator` */
export interface SimulatorFlags {
  provider: 'yunxin' | 'tencent';
  port: string;
  host: string;
  appKey?: string;
  sdkappid?: string;
  rate?: string;
  blockMs: string;
  admin: boolean;
}
