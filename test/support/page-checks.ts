import { expect, type BrowserContext, type Page } from '@playwright/test';

/**
 * Checks shared by the Playwright suites (e2e and hostile): no error thrown in any page of a test,
 * and everything an origin keeps, as text to search for tokens.
 */

/** Collects errors thrown in every page of `context` (current and future); call `check()` at the end. */
export function watchPageErrors(context: BrowserContext) {
  const errors: string[] = [];
  const watch = (page: Page) => page.on('pageerror', (error) => errors.push(`${page.url()}: ${error}`));
  context.pages().forEach(watch);
  context.on('page', watch);
  return { errors, check: () => expect(errors, 'errors thrown in the page').toEqual([]) };
}

/** The auto fixture that fails a test on any error thrown in one of its pages. */
export const pageErrorsFixture: [
  ({ context }: { context: BrowserContext }, use: (errors: string[]) => Promise<void>) => Promise<void>,
  { auto: true },
] = [
  async ({ context }, use) => {
    const watcher = watchPageErrors(context);
    await use(watcher.errors);
    watcher.check();
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
