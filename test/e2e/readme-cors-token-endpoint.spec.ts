// The README's troubleshooting row "NetworkError network_error at the code exchange or a refresh, and
// the console says CORS", reproduced: oidc-provider with its token endpoint's CORS header withheld
// (everything else, discovery included, allowed), and the npm build's harness page in a real browser.
// What the SDK raises must be what the row says, and the browser must say CORS.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test as base, expect } from '@playwright/test';
import { startStack } from '../../demo/stack.mjs';
import { expectFailedRequests, pageErrorsFixture } from '../support/page-checks.js';
import { BUILDS, openHarness, signIn, startLogin, stateOf } from './fixtures.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const table = readme.slice(readme.indexOf('### Troubleshooting'), readme.indexOf('## Tabs and storage'));
const ROW_START = '| `NetworkError` `network_error` at the code exchange or a refresh, and the console says CORS |';

/** While `on`, the provider's token endpoint answers without `Access-Control-Allow-Origin`. */
const withheld = { on: false };
function withholdTokenCors() {
  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (withheld.on && ctx.oidc?.route === 'token') {
      ctx.remove('Access-Control-Allow-Origin');
      ctx.remove('Access-Control-Allow-Credentials');
    }
  };
}

const test = base.extend<{ pageErrors: string[]; corsReports: string[] }, { stack: Stack }>({
  stack: [
    async ({}, use) => {
      const stack = await startStack({
        pages: { '/test/': fileURLToPath(new URL('./pages/', import.meta.url)) },
        pagePaths: Object.values(BUILDS),
        providerMiddleware: [withholdTokenCors()],
      });
      await use(stack);
      await stack.close();
    },
    { scope: 'worker' },
  ],
  // What the browser says about CORS: Chromium on the console, Firefox as a page error too.
  corsReports: async ({ page }, use) => {
    const reports: string[] = [];
    page.on('console', (message) => /CORS/.test(message.text()) && reports.push(message.text()));
    page.on('pageerror', (error) => /CORS/.test(String(error)) && reports.push(String(error)));
    await use(reports);
  },
  page: async ({ page }, use) => {
    withheld.on = false;
    await use(page);
    withheld.on = false;
  },
  pageErrors: pageErrorsFixture,
});

/** The row's first cell, as the SDK's error: `{ name, code }`. */
function rowError(): { name: string; code: string } {
  const row = table.split('\n').find((line) => line.startsWith(ROW_START));
  expect(row, 'the troubleshooting row for CORS at the token endpoint').toBeDefined();
  expect(row).toContain("The token endpoint does not allow your app's origin");
  const [, name, code] = /^\| `(\w+)` `(\w+)`/.exec(row as string) as RegExpExecArray;
  return { name: name as string, code: code as string };
}

test('at the code exchange: the login fails with the row’s error, nothing is stored, and the browser says CORS', async ({ page, stack, corsReports }) => {
  expectFailedRequests();
  await openHarness(page, stack, 'esm');
  await startLogin(page, stack);
  withheld.on = true;
  await page.fill('input[name=login]', 'ada');
  await Promise.all([page.waitForURL((url) => url.href.startsWith(stack.app.origin + BUILDS.esm)), page.click('button.primary')]);
  await page.waitForFunction(() => (window as any).harnessReady === true);
  const result = await page.evaluate(() => (window as any).callbackResult);
  expect(result).toMatchObject({ ok: false, ...rowError(), isAuthError: true });
  expect(result.message).toBe(`request to ${new URL(stack.provider.issuer).host} failed`);
  // The provider did redeem the code: only its answer was kept from the page.
  expect(stack.provider.count('token', 'authorization_code')).toBe(1);
  expect((await stateOf(page)).status).toBe('anonymous');
  expect(corsReports.join('\n')).toMatch(/token/);
});

test('at a refresh: getAccessToken() fails with the row’s error, the session is kept, and the browser says CORS', async ({ page, stack, corsReports }) => {
  expectFailedRequests();
  expect(await signIn(page, stack, 'esm')).toMatchObject({ ok: true, sub: 'ada' });
  withheld.on = true;
  const refreshes = stack.provider.count('token', 'refresh_token');
  const result = await page.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }).then(() => ({ ok: true }), (window as any).describeError));
  expect(result).toMatchObject({ ok: false, ...rowError(), isAuthError: true });
  expect(stack.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
  expect(await stateOf(page)).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
  expect(corsReports.join('\n')).toMatch(/token/);
});
