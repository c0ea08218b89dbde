// The end-to-end flows every binding's app must pass (Vue here, Svelte and Angular import this file).
// The apps share one page contract:
//   #status[data-status]  the state (loading | anonymous | authenticated)     #error  the binding's error code
//   #login, #logout       the binding's login() / logout()                     #user-sub  the signed-in user's sub
//   #to-protected, #to-home  router links; /protected is guarded; #page says which page is shown
//   #orders → #orders-result  getAccessToken(), showing the token's last characters
import type { Page } from '@playwright/test';
import { confirmProviderLogout, expect, fillProviderLogin, type frameworkTest } from '../support/app-fixture.js';
import { addressBar } from '../../support/page-checks.js';

type FrameworkTest = ReturnType<typeof frameworkTest>;

declare global {
  interface Window {
    /** Every value #status[data-status] took on this page, in order (recorded by {@link recordStatuses}). */
    __statuses?: string[];
  }
}

/** Records every status the page renders, from the first DOM mutation on, in `window.__statuses`. */
export async function recordStatuses(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__statuses = [];
    const read = () => {
      const status = document.querySelector('#status')?.getAttribute('data-status');
      const seen = window.__statuses as string[];
      if (status && seen[seen.length - 1] !== status) seen.push(status);
    };
    new MutationObserver(read).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

const statuses = (page: Page) => page.evaluate(() => window.__statuses ?? []);

async function signIn(page: Page, stack: Parameters<typeof fillProviderLogin>[1], baseUrl: string) {
  await page.goto(baseUrl);
  await expect(page.locator('#status')).toHaveAttribute('data-status', 'anonymous');
  await page.click('#login');
  await fillProviderLogin(page, stack, baseUrl, 'ada');
  await expect(page.locator('#status')).toHaveAttribute('data-status', 'authenticated');
}

/** Registers the browser-mode flows on `test` (an app built by `frameworkTest`). */
export function browserModeFlows(test: FrameworkTest, framework: string): void {
  test(`${framework}: login through the provider's form, reload keeps the session, logout to a clean URL`, async ({ page, stack, baseUrl }) => {
    await recordStatuses(page);
    await signIn(page, stack, baseUrl);
    // On the callback page: loading until the code was redeemed, never anonymous in between.
    expect(await statuses(page)).toEqual(['loading', 'authenticated']);
    expect(page.url()).toBe(baseUrl);
    await expect(page.locator('#user-sub')).toHaveText('ada');
    await expect(page.locator('#error')).toHaveCount(0);

    const tokenRequests = stack.provider.count('token');
    await page.reload();
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'authenticated');
    expect(await statuses(page)).not.toContain('anonymous');
    expect(stack.provider.count('token')).toBe(tokenRequests);

    await page.click('#logout');
    await confirmProviderLogout(page, stack, baseUrl);
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'anonymous');
    expect((await addressBar(page)).search).toBe('');
    expect(page.url()).toBe(baseUrl);
    await expect(page.locator('#error')).toHaveCount(0);
    await expect(page.locator('#user-sub')).toHaveText('');
  });

  test(`${framework}: a guarded route sends an anonymous user to the provider and back to that route`, async ({ page, stack, baseUrl }) => {
    await recordStatuses(page);
    const logins = stack.provider.count('authorization');
    await page.goto(`${baseUrl}protected?tab=2`);
    await fillProviderLogin(page, stack, baseUrl, 'grace');
    await expect(page.locator('#page')).toHaveText('protected');
    await expect(page.locator('#protected-user')).toHaveText('grace');
    expect(page.url()).toBe(`${baseUrl}protected?tab=2`);
    expect(await statuses(page)).not.toContain('anonymous');

    // Signed in, the guard lets in-app navigation through without the provider.
    await page.click('#to-home');
    await expect(page.locator('#page')).toHaveText('home');
    await page.click('#to-protected');
    await expect(page.locator('#page')).toHaveText('protected');
    expect(stack.provider.count('authorization') - logins).toBe(1);
  });

  test(`${framework}: an expired access token is refreshed`, async ({ page, stack, baseUrl }) => {
    await signIn(page, stack, baseUrl);
    await page.click('#orders');
    await expect(page.locator('#orders-result')).toHaveText(/^token …/);
    const first = await page.locator('#orders-result').textContent();
    const refreshes = stack.provider.count('token', 'refresh_token');
    // Tokens live 6 s at this provider; the SDK renews from half their lifetime.
    await page.waitForTimeout(4_000);
    await page.click('#orders');
    await expect(page.locator('#orders-result')).not.toHaveText(first as string);
    await expect(page.locator('#orders-result')).toHaveText(/^token …/);
    expect(stack.provider.count('token', 'refresh_token') - refreshes).toBe(1);
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'authenticated');
  });

  test(`${framework}: a cancelled login shows the error on a clean URL, and nothing loops`, async ({ page, stack, baseUrl }) => {
    const logins = stack.provider.count('authorization');
    await page.goto(`${baseUrl}protected`);
    await page.waitForURL((url) => url.origin === new URL(stack.provider.issuer).origin);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(baseUrl)), page.click('button.secondary')]);
    await expect(page.locator('#error')).toHaveText(/oauth_error/);
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'anonymous');
    expect(page.url()).toBe(baseUrl);
    // A guarded route does not start another login by itself right after the failure (the provider
    // could answer at once with the same failure, and the app would loop): the user chooses to retry.
    await page.click('#to-protected');
    await page.waitForTimeout(500);
    expect(page.url().startsWith(baseUrl)).toBe(true);
    await expect(page.locator('#error')).toHaveText(/oauth_error/);
    expect(stack.provider.count('authorization') - logins).toBe(1);
    // The user tries again: the error goes, the login completes.
    await page.click('#login');
    await fillProviderLogin(page, stack, baseUrl, 'ada');
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'authenticated');
    await expect(page.locator('#error')).toHaveCount(0);
  });
}

/** Registers the session-server-mode flow on `test` (an app built with `sessionServer: true`). */
export function sessionServerModeFlows(test: FrameworkTest, framework: string): void {
  test(`${framework} (session-server mode): guarded route → provider → back, reload, logout`, async ({ page, stack, baseUrl }) => {
    await recordStatuses(page);
    await page.goto(`${baseUrl}protected`);
    await fillProviderLogin(page, stack, baseUrl, 'ada');
    await expect(page.locator('#page')).toHaveText('protected');
    await expect(page.locator('#protected-user')).toHaveText('ada');
    expect(page.url()).toBe(`${baseUrl}protected`);
    expect(await statuses(page)).toEqual(['loading', 'authenticated']);

    await page.reload();
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'authenticated');
    await expect(page.locator('#page')).toHaveText('protected');
    // No token ever reaches the page's storage in this mode.
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toMatch(/eyJ/);

    await page.click('#logout');
    await confirmProviderLogout(page, stack, baseUrl);
    await expect(page.locator('#status')).toHaveAttribute('data-status', 'anonymous');
    expect((await addressBar(page)).search).toBe('');
    await expect(page.locator('#error')).toHaveCount(0);
  });
}
