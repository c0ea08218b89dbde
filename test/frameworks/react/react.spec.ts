// oidc-session/react in a real React 19 app (StrictMode, React Router 7, built by Vite against dist/),
// against oidc-provider in Chromium: both client modes through the same binding, and the hydration of
// a server render.
import type { Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import {
  collectConsole,
  confirmProviderLogout,
  expect,
  fillProviderLogin,
  frameworkTest,
  importSsrEntry,
  type FrameworkAppOptions,
  type Stack,
} from '../support/app-fixture.js';
import { addressBar } from '../../support/page-checks.js';

const appDir = fileURLToPath(new URL('./app/', import.meta.url));
const browserApp: FrameworkAppOptions = { name: 'react', appDir, pagePaths: [''] };
const serverModeApp: FrameworkAppOptions = { name: 'react-server-mode', appDir, pagePaths: [''], sessionServer: true };

const status = (page: Page) => page.locator('.status');
const statuses = (page: Page) => page.evaluate(() => window.renderedStatuses ?? []);

/** From the app's home page: Sign in, the provider's form, back on the app signed in. */
async function signIn(page: Page, stack: Stack, baseUrl: string, user = 'ada') {
  await page.goto(baseUrl);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await fillProviderLogin(page, stack, baseUrl, user);
  await expect(status(page)).toHaveAttribute('data-status', 'authenticated');
}

/** The app's URL without its origin and base path. */
const appPath = (page: Page, baseUrl: string) => page.url().slice(baseUrl.length - 1);

declare global {
  interface Window {
    renderedStatuses?: string[];
    recoverableErrors?: string[];
  }
}

const test = frameworkTest(browserApp);

test.describe('oidc-session/react, browser client', () => {
  test('signs in through the provider: the callback page never renders anonymous and ends on a clean URL', async ({ page, stack, baseUrl }) => {
    await signIn(page, stack, baseUrl);
    await expect(status(page)).toHaveText('Signed in as Ada');
    expect(await statuses(page), 'statuses the callback page rendered').toEqual(['loading', 'authenticated']);
    expect(appPath(page, baseUrl)).toBe('/');
    await expect(page.locator('.error')).toHaveCount(0);
  });

  test('a guarded deep link sends an anonymous user to log in and back to it; a reload keeps the session', async ({ page, stack, baseUrl }) => {
    await page.goto(`${baseUrl}protected?tab=orders#latest`);
    await fillProviderLogin(page, stack, baseUrl);
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    expect(appPath(page, baseUrl)).toBe('/protected?tab=orders#latest');
    expect(await statuses(page)).not.toContain('anonymous');

    const before = stack.provider.requests.length;
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    expect(await statuses(page), 'statuses after the reload').toEqual(['authenticated']);
    expect(stack.provider.requests.length, 'provider requests on reload').toBe(before);
  });

  test('getAccessToken() refreshes once the access token expired', async ({ page, stack, baseUrl }) => {
    await signIn(page, stack, baseUrl);
    await page.getByRole('link', { name: 'Protected page' }).click();
    await page.getByRole('button', { name: 'Get access token' }).click();
    const first = await page.locator('code.token').textContent();
    expect(first).toBeTruthy();
    const refreshes = stack.provider.count('token', 'refresh_token');
    // Access tokens live 6 s; the client renews one after half its lifetime.
    await page.waitForTimeout(3500);
    await page.getByRole('button', { name: 'Get access token' }).click();
    await expect(page.locator('code.token')).not.toHaveText(first as string);
    expect(stack.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
    await expect(status(page)).toHaveAttribute('data-status', 'authenticated');
  });

  test('logout from a guarded page comes back to a clean URL, anonymous, with no error', async ({ page, stack, baseUrl }) => {
    await signIn(page, stack, baseUrl);
    await page.getByRole('link', { name: 'Protected page' }).click();
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    const authorizations = stack.provider.count('authorization');
    // The state turns anonymous before the logout navigates: the guard must not start a login meanwhile.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await confirmProviderLogout(page, stack, baseUrl);
    await expect(status(page)).toHaveAttribute('data-status', 'anonymous');
    expect(stack.provider.count('authorization'), 'logins started').toBe(authorizations);
    expect((await addressBar(page)).search, 'query after logout').toBe('');
    expect(appPath(page, baseUrl)).toBe('/');
    await expect(page.locator('.error')).toHaveCount(0);
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.endsWith(':session')))).toEqual([]);
  });

  test('a login cancelled at the provider shows the error, no login restarts, the guard offers a retry', async ({ page, stack, baseUrl }) => {
    await page.goto(`${baseUrl}protected`);
    await page.waitForURL((url) => url.origin === new URL(stack.provider.issuer).origin);
    const authorizations = stack.provider.count('authorization');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(baseUrl)), page.click('text=Cancel')]);
    // The failed callback lands on the redirect URI (the home page): the error is kept, nothing restarts.
    await expect(page.locator('.error')).toContainText('access_denied');
    await expect(status(page)).toHaveAttribute('data-status', 'anonymous');
    expect((await addressBar(page)).search).toBe('');
    await page.getByRole('link', { name: 'Protected page' }).click();
    await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
    await page.waitForTimeout(500);
    expect(stack.provider.count('authorization'), 'logins restarted by the guard').toBe(authorizations);

    await page.getByRole('button', { name: 'Try again' }).click();
    await fillProviderLogin(page, stack, baseUrl);
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    expect(appPath(page, baseUrl)).toBe('/protected?tab=orders#latest');
    await expect(page.locator('.error')).toHaveCount(0);
  });

  test('a server render hydrates without mismatch, then shows the session', async ({ page, stack, baseUrl }) => {
    const { render } = await importSsrEntry<{ render: (url: string, config: object) => string }>(browserApp, 'src/entry-server.tsx');
    const ssr = async (path: string) => {
      const config = { issuer: stack.provider.issuer, clientId: stack.provider.clientId, appUrl: baseUrl };
      const markup = render(new URL(path, baseUrl).pathname, config);
      // The built page as the server sends it (config injected), with the server render in #root.
      const html = await (await page.request.get(baseUrl)).text();
      expect(html).toContain('<div id="root"></div>');
      return { markup, html: html.replace('<div id="root"></div>', `<div id="root">${markup}</div>`) };
    };
    const home = await ssr('./');
    expect(home.markup).toContain('data-status="loading"');

    const consoleMessages = collectConsole(page, ['error', 'warning']);
    await page.route(baseUrl, (route) => route.fulfill({ contentType: 'text/html', body: home.html }));
    await page.goto(baseUrl);
    await expect(status(page)).toHaveAttribute('data-status', 'anonymous');
    expect(await page.evaluate(() => window.recoverableErrors ?? [])).toEqual([]);
    expect(consoleMessages.filter((m) => /hydrat|did not match|server rendered/i.test(m)), 'hydration warnings').toEqual([]);

    // Signed in, the guarded page hydrates from the same `loading` render and then shows its content.
    await page.unroute(baseUrl);
    await signIn(page, stack, baseUrl);
    const guarded = await ssr('./protected');
    expect(guarded.markup).toContain('Signing you in…');
    await page.route(`${baseUrl}protected`, (route) => route.fulfill({ contentType: 'text/html', body: guarded.html }));
    await page.goto(`${baseUrl}protected`);
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    expect(await page.evaluate(() => window.recoverableErrors ?? [])).toEqual([]);
    expect(await statuses(page)).toEqual(['loading', 'authenticated']);
    expect(consoleMessages.filter((m) => /hydrat|did not match|server rendered/i.test(m)), 'hydration warnings').toEqual([]);
  });
});

const serverTest = frameworkTest(serverModeApp);

serverTest.describe('oidc-session/react, session-server mode', () => {
  serverTest('signs in through a guarded route, keeps the session on reload, hands out a token, signs out', async ({ page, stack, baseUrl }) => {
    await page.goto(`${baseUrl}protected?tab=orders#latest`);
    await fillProviderLogin(page, stack, baseUrl, 'grace.hopper');
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    await expect(status(page)).toHaveText('Signed in as Grace Hopper');
    expect(appPath(page, baseUrl)).toBe('/protected?tab=orders#latest');
    expect(await statuses(page)).not.toContain('anonymous');

    await page.reload();
    await expect(page.getByRole('heading', { name: 'Protected page' })).toBeVisible();
    expect(await statuses(page)).toEqual(['loading', 'authenticated']);

    await page.getByRole('button', { name: 'Get access token' }).click();
    await expect(page.locator('code.token')).not.toBeEmpty();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await confirmProviderLogout(page, stack, baseUrl);
    await expect(status(page)).toHaveAttribute('data-status', 'anonymous');
    expect((await addressBar(page)).search).toBe('');
    await expect(page.locator('.error')).toHaveCount(0);
  });
});
