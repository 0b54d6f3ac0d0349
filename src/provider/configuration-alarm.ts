import type { Logger } from '../log.js';

/** The last answer that said the app is misconfigured, while it still holds. */
export interface ConfigurationError {
  code: number;
  endpoint: string;
  since: number;
}

/** Log lines about one misconfiguration are said at most this often. */
const REMIND_MS = 60_000;

/**
 * Watches every provider answer for the codes that say the app is misconfigured (a bad key, a
 * disabled SDKAppID): each call fails the same way until an operator acts, so the worker says
 * so loudly — an error line at most once a minute, a metric, `/readyz` degraded — and the
 * engine does not retry them as if they could pass. A successful call clears it.
 */
export class ConfigurationAlarm {
  private current: ConfigurationError | undefined;
  private lastSaid = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly codes: ReadonlySet<number>,
    private readonly log: Logger,
    private readonly onChange: (error: ConfigurationError | undefined) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** `code` is the provider's answer, none when the call did not get one (a transport failure) */
  observe(endpoint: string, code: number | undefined, successCode: number): void {
    if (code !== undefined && this.codes.has(code)) {
      if (this.current?.code !== code) {
        this.current = { code, endpoint, since: this.now() };
        this.onChange(this.current);
      }
      if (this.now() - this.lastSaid >= REMIND_MS) {
        this.lastSaid = this.now();
        this.log.error(
          { code, endpoint, since: new Date(this.current.since).toISOString() },
          'the provider says the app is misconfigured (credentials, SDKAppID or admin account): every call will fail until it is fixed',
        );
      }
    } else if (code === successCode && this.current) {
      this.current = undefined;
      this.onChange(undefined);
    }
  }

  state(): ConfigurationError | undefined {
    return this.current;
  }
}
