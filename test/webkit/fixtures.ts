// The WebKit project's fixtures: per worker, one provider + app stack and one WebKitWebDriver on its own
// X display; per test, a new MiniBrowser session (`webkit`, its first tab `tab`). No Playwright
// page/context/browser fixture is used: those would launch Chromium.
import { test as base, expect } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../demo/stack.mjs';
import { ACCESS_TOKEN_TTL, BUILDS } from '../e2e/fixtures.js';
import { pageErrors } from './page-errors.js';
import { WebKitBrowser, type WebKitTab } from './webkit-browser.js';
import { startWebKitDriver, type WebKitDriver } from './webkit-driver.js';

export type Stack = Awaited<ReturnType<typeof startStack>>;

const pagesDir = fileURLToPath(new URL('../e2e/pages/', import.meta.url));

export const test = base.extend<
  { webkit: WebKitBrowser; tab: WebKitTab },
  { stack: Stack; accessTokenTtl: number; webkitDriver: WebKitDriver }
>({
  // Seconds; test.use({ accessTokenTtl }) gets a file its own worker and stack.
  accessTokenTtl: [ACCESS_TOKEN_TTL, { scope: 'worker', option: true }],
  // Request counts at the provider belong to one test at a time, as in the e2e suite.
  stack: [
    async ({ accessTokenTtl }, use) => {
      const stack = await startStack({ accessTokenTtl, pages: { '/test/': pagesDir }, pagePaths: Object.values(BUILDS) });
      await use(stack);
      await stack.close();
    },
    { scope: 'worker' },
  ],
  webkitDriver: [
    async ({}, use) => {
      const driver = await startWebKitDriver();
      try {
        await use(driver);
      } finally {
        await driver.stop();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  // A new MiniBrowser per test (empty storage). The test fails on errors thrown in its app pages.
  webkit: async ({ webkitDriver, stack }, use) => {
    const session = await webkitDriver.newSession();
    let errors: string[] = [];
    try {
      const browser = await WebKitBrowser.open(session);
      await use(browser);
      errors = await pageErrors(browser, stack.app.origin).catch((error) => [`could not read the page errors: ${error}`]);
    } finally {
      await webkitDriver.endSession(session);
    }
    expect(errors, 'errors thrown in the page').toEqual([]);
  },
  tab: async ({ webkit }, use) => use(webkit.tabs[0] as WebKitTab),
});

export { expect };
