import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's `chromium` package; playwright-core drives it and never downloads a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Why browser tests skip on this machine, or undefined when they run. They skip only when
 * Chromium is missing outside CI: in CI (`CI` set) they run, and fail if Chromium is missing.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || isCi()) return undefined;
  return (
    `browser tests skipped: ${CHROMIUM_PATH} is missing ` +
    `(install Debian's chromium: apt-get install -y chromium; .ci/run does it in CI)`
  );
}

function isCi(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * Headless Chromium that stays off the network: without the background-networking flags it
 * tries to reach Google's services (updates, sync, field trials) and gets refused.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
