import type { Browser, BrowserContext } from 'playwright-core';

/** How long a dashboard test waits for the UI (bull-board renders after its API answers). */
export const UI_TIMEOUT_MS = 15_000;

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * A browser context for the dashboard. `httpCredentials` answer its Basic challenge the way a
 * user's saved login would; Chromium then keeps them for later requests to the board.
 */
export async function dashboardContext(
  browser: Browser,
  credentials?: BasicCredentials,
): Promise<BrowserContext> {
  const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return context;
}
