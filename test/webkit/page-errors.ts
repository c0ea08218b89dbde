// Errors thrown in the page fail the test, as in the Chromium suite. WebDriver classic has no init
// script, so the collector goes in once a harness page is ready: errors during the page's own start
// are not seen here (a harness that fails to start never sets harnessReady, which fails the test).
// The log lives in sessionStorage so that it outlives the tab's navigations within the app's origin.
import type { WebKitBrowser, WebKitTab } from './webkit-browser.js';

const KEY = 'webkit:page-errors';

/** Starts collecting uncaught errors and unhandled rejections in the tab's current page. */
export function collectPageErrors(tab: WebKitTab): Promise<void> {
  return tab.evaluate((key: string) => {
    const w = window as any;
    if (w.__pageErrorsWatched) return;
    w.__pageErrorsWatched = true;
    const keep = (text: string) =>
      sessionStorage.setItem(key, JSON.stringify([...JSON.parse(sessionStorage.getItem(key) ?? '[]'), `${location.href}: ${text}`]));
    addEventListener('error', (event) => keep(String(event.error ?? event.message)));
    addEventListener('unhandledrejection', (event) => keep(`unhandled rejection: ${event.reason}`));
  }, KEY);
}

/** Everything collected in the tabs that are on `origin` now. */
export async function pageErrors(browser: WebKitBrowser, origin: string): Promise<string[]> {
  const errors: string[] = [];
  for (const tab of browser.tabs) {
    const found = await tab.evaluate(
      (key: string, expected: string) => (location.origin === expected ? JSON.parse(sessionStorage.getItem(key) ?? '[]') : []),
      KEY,
      origin,
    );
    errors.push(...(found as string[]));
  }
  return errors;
}
