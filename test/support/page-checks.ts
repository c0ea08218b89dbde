import { expect, test, type BrowserContext, type Page, type TestInfo } from '@playwright/test';

/**
 * Checks shared by the Playwright suites (e2e and hostile): no error thrown in any page of a test,
 * and everything an origin keeps, as text to search for tokens.
 */

/**
 * What Firefox reports as a page error although no script threw: its note on every cross-origin request
 * that failed ("Cross-Origin Request Blocked: ... (Reason: CORS request did not succeed)"). Chromium
 * logs the same to the console only. A Content-Security-Policy violation stays an error in every engine.
 */
const FAILED_REQUEST_REPORT = /: Cross-Origin Request Blocked: /;
const EXPECTS_FAILED_REQUESTS = 'expects-failed-requests';

/**
 * Declares that the running test makes cross-origin requests fail on purpose (a reset connection, a
 * refused CORS check), so the browser's own report of each is expected rather than an error.
 */
export function expectFailedRequests(): void {
  test.info().annotations.push({ type: EXPECTS_FAILED_REQUESTS });
}

/**
 * Firefox 140 ESR reports, over WebDriver BiDi, a "Permission denied to access property "length""
 * error with no stack frame at all when a cross-origin frame posts a message to a page Playwright
 * watches. No listener of the page threw it (measured: every `message` listener wrapped in a
 * try/catch saw nothing) and a script error of the page always has a frame in its stack, so exactly
 * this message with an empty stack is the driver's realm, not the page's. Firefox 153 does not report it.
 */
function isBidiRealmNoise(error: Error): boolean {
  const report = `${error.name}: ${error.message}`;
  if (FIREFOX_ERROR_PAGE_CSP.test(report) || DRIVER_EVAL_UNDER_NO_SCRIPT_POLICY.test(report)) return true;
  return error.message === 'Permission denied to access property "length"' && !/@|:\d+:\d+|\bat /.test((error.stack ?? '').split('\n').slice(1).join('\n').replace(/^undefined$/, ''));
}

/**
 * Firefox 140 ESR's own error page (shown in a frame the provider refused with X-Frame-Options or
 * frame-ancestors) has the policy `default-src chrome:`, which no page of ours or the provider's
 * sends; the driver's script evaluation there is what it blocks, reported as the page's error.
 */
const FIREFOX_ERROR_PAGE_CSP = /^Content-Security-Policy: .* violates the following directive: “default-src chrome:”/;

/**
 * The same blocked evaluation on a page of ours whose policy lets no script run at all (`default-src
 * 'none'`: the session server's landing page after a callback, a meta refresh only). No script of the
 * page can have called eval there, so this is Firefox 140's driver injecting its own (it happens when
 * the injection meets the page before the refresh moves on). A blocked inline or external script on
 * such a page is still an error.
 */
const DRIVER_EVAL_UNDER_NO_SCRIPT_POLICY = /^Content-Security-Policy: The page’s settings blocked a JavaScript eval \(script-src\) from being executed because it violates the following directive: “default-src 'none'”/;

/** Collects errors thrown in every page of `context` (current and future); call `check()` at the end. */
export function watchPageErrors(context: BrowserContext) {
  const errors: string[] = [];
  const watch = (page: Page) => page.on('pageerror', (error) => !isBidiRealmNoise(error) && errors.push(`${page.url()}: ${error}`));
  context.pages().forEach(watch);
  context.on('page', watch);
  const check = (testInfo: TestInfo) => {
    const expected = testInfo.annotations.some((a) => a.type === EXPECTS_FAILED_REQUESTS);
    expect(errors.filter((e) => !(expected && FAILED_REQUEST_REPORT.test(e))), 'errors thrown in the page').toEqual([]);
  };
  return { errors, check };
}

/** The auto fixture that fails a test on any error thrown in one of its pages. */
export const pageErrorsFixture: [
  ({ context }: { context: BrowserContext }, use: (errors: string[]) => Promise<void>, testInfo: TestInfo) => Promise<void>,
  { auto: true },
] = [
  async ({ context }, use, testInfo) => {
    const watcher = watchPageErrors(context);
    await use(watcher.errors);
    watcher.check(testInfo);
  },
  { auto: true },
];

/** sessionStorage, localStorage, every IndexedDB store and CacheStorage of the page's origin, as text. */
export function storedText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts = [JSON.stringify(Object.entries(sessionStorage)), JSON.stringify(Object.entries(localStorage))];
    for (const info of await indexedDB.databases()) {
      parts.push(`idb:${info.name}`);
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name as string);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const name of Array.from(db.objectStoreNames)) {
        parts.push(
          await new Promise<string>((resolve) => {
            const request = db.transaction(name).objectStore(name).getAll();
            request.onsuccess = () => resolve(JSON.stringify(request.result));
          }),
        );
      }
      db.close();
    }
    for (const name of await caches.keys()) parts.push(`cache:${name}`);
    return parts.join('\n');
  });
}

/**
 * The page's address as its document sees it (`location.href`). Playwright's `page.url()` follows
 * `history.replaceState` only where the browser reports it: over WebDriver BiDi, Firefox 140 ESR does
 * not, so `page.url()` there still shows the callback's `?code=…` after the SDK removed it.
 */
export async function addressBar(page: Page): Promise<URL> {
  return new URL(await page.evaluate(() => location.href));
}
