// Checks the infrastructure itself: a plain Vite app built against dist/, in both client modes,
// signs in through the provider's form, and a deep link is answered with the app's index.html.
import { fileURLToPath } from 'node:url';
import { confirmProviderLogout, expect, fillProviderLogin, frameworkTest } from './app-fixture.js';

const appDir = fileURLToPath(new URL('./smoke-app/', import.meta.url));

for (const sessionServer of [false, true]) {
  const test = frameworkTest({ name: sessionServer ? 'smoke-server' : 'smoke', appDir, sessionServer });
  test(`infrastructure smoke (${sessionServer ? 'session-server' : 'browser'} mode): login, deep link, logout`, async ({ page, stack, baseUrl }) => {
    await page.goto(baseUrl);
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'anonymous');
    await page.click('#login');
    await fillProviderLogin(page, stack, baseUrl, 'ada');
    await expect(page.locator('#status')).toHaveText('authenticated as ada');

    // A client-side route's URL gets the app's page, config injected; a missing asset still 404s.
    await page.goto(`${baseUrl}some/deep/link?x=1`);
    await expect(page.locator('#status')).toHaveText('authenticated as ada');
    expect(await page.evaluate(() => (window as any).OIDC_CONFIG.issuer)).toBe(stack.provider.issuer);
    expect((await page.request.get(`${baseUrl}assets/missing.js`)).status()).toBe(404);

    await page.click('#logout');
    await confirmProviderLogout(page, stack, baseUrl);
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'anonymous');
  });
}
