// Session-server mode in Chromium: the demo's session-server page (oidc-session/server-mode in the
// browser, oidc-session/server on the app's origin) against oidc-provider. The same cases run with the
// memory store (session-server.spec.ts) and a real Redis server (session-server-redis.spec.ts).
import type { Page } from '@playwright/test';
import { everythingStored, expect, test } from './fixtures.js';
import { addressBar } from '../support/page-checks.js';

const PAGE = '/demo/session-server.html';

/** Defines the cases for the store the calling spec file selected with test.use({ sessionStore }). */
export function sessionServerCases(sessionStore: 'memory' | 'redis'): void {
  test.describe(`session-server mode, ${sessionStore} store`, () => {
    test('signs in, survives a reload without asking the provider, calls the API, hands out a token, signs out', async ({ page, stack }) => {
      await page.goto(stack.app.origin + PAGE);
      await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
      await signInOnPage(page, 'grace.hopper');
      await expect(page.locator('dl')).toContainText('Grace Hopper');

      // The browser holds an HttpOnly, Secure, SameSite=Strict cookie and nothing else: no token anywhere.
      const cookies = await page.context().cookies(stack.app.origin);
      const session = cookies.find((c) => c.name === '__Host-oidc-session');
      expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
      expect(await page.evaluate(() => document.cookie)).toBe('');
      const stored = await everythingStored(page);
      for (const token of stack.provider.issued) expect(stored).not.toContain(token);

      const before = stack.provider.requests.length;
      // Every status the page renders after the reload, from the first: never "anonymous" on the way.
      await page.addInitScript(() => {
        const seen: string[] = ((window as any).statusesSeen = []);
        new MutationObserver(() => {
          const status = (document.querySelector('.status') as HTMLElement | null)?.dataset.status;
          if (status && seen.at(-1) !== status) seen.push(status);
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
      });
      await page.reload();
      await expect(page.locator('.status')).toHaveAttribute('data-status', 'authenticated');
      expect(await page.evaluate(() => (window as any).statusesSeen)).toEqual(['loading', 'authenticated']);
      expect(stack.provider.requests.length, 'provider requests on reload').toBe(before);

      await page.click("text=Call the app's API");
      await expect(page.locator('ol.log')).toContainText('GET /api/me: 200 {"sub":"grace.hopper"');

      await page.click('text=Get access token');
      await expect(page.locator('code.token')).toContainText('(current');
      const refreshes = stack.provider.count('token', 'refresh_token');
      await page.click('text=Force refresh');
      await expect(page.locator('code.token')).toContainText('new (refreshed)');
      expect(stack.provider.count('token', 'refresh_token')).toBe(refreshes + 1);

      const revocations = stack.provider.count('revocation');
      await page.click('text=Sign out');
      await page.click('button[name=logout]');
      await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
      // Back from the provider on a clean page: nothing left in the address bar, nothing reported.
      expect((await addressBar(page)).search).toBe('');
      await expect(page.locator('.error')).toHaveCount(0);
      expect(stack.provider.count('revocation')).toBe(revocations + 1);
      expect((await page.context().cookies(stack.app.origin)).find((c) => c.name === '__Host-oidc-session')).toBeUndefined();
      const api = await page.evaluate(() => fetch('/api/me').then((r) => r.status));
      expect(api).toBe(401);
    });

    test('a login in one tab signs the other tabs in; a logout in one signs them all out', async ({ context, stack }) => {
      const a = await context.newPage();
      const b = await context.newPage();
      await a.goto(stack.app.origin + PAGE);
      await b.goto(stack.app.origin + PAGE);
      await expect(b.locator('.status')).toHaveAttribute('data-status', 'anonymous');

      await signInOnPage(a, 'ada');
      await expect(b.locator('.status')).toHaveAttribute('data-status', 'authenticated', { timeout: 3000 });
      await expect(b.locator('ol.log')).toContainText('signed in as ada');

      await b.click('text=Sign out');
      await b.waitForURL((url) => url.origin === stack.provider.issuer);
      await expect(a.locator('.status')).toHaveAttribute('data-status', 'anonymous', { timeout: 3000 });
      await b.click('button[name=logout]');
      await b.waitForLoadState('load');
      await expect(b.locator('.status')).toHaveAttribute('data-status', 'anonymous');
      expect((await addressBar(b)).search).toBe('');
      await expect(b.locator('.error')).toHaveCount(0);
    });

    test('signing out at the provider ends the session in every tab within seconds, as a logout by the provider', async ({ context, stack }) => {
      const a = await context.newPage();
      const b = await context.newPage();
      await a.goto(stack.app.origin + PAGE);
      await signInOnPage(a, 'ada');
      await b.goto(stack.app.origin + PAGE);
      await expect(b.locator('.status')).toHaveAttribute('data-status', 'authenticated');
      // Another tab of the same browser signs out at the provider itself (not through this app): the
      // provider posts its logout token to the session server, which ends the session.
      const provider = await context.newPage();
      await provider.goto(`${stack.provider.issuer}/session/end?client_id=demo-session-server`);
      const ended = Date.now();
      await provider.click('button[name=logout]');
      await provider.waitForLoadState('load');
      // The app's own API refuses the session at once, whatever the tabs show.
      expect(await a.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(401);
      // The page checks every 5 s (its sessionCheckSeconds): both tabs see it within one period.
      for (const tab of [a, b]) {
        await expect(tab.locator('.status')).toHaveAttribute('data-status', 'anonymous', { timeout: 8000 });
        await expect(tab.locator('ol.log')).toContainText('reason: provider');
      }
      expect(Date.now() - ended).toBeLessThan(8000);
    });

    test('a cancelled login comes back as an OAuthError on the page and leaves no session', async ({ page, stack }) => {
      await page.goto(stack.app.origin + PAGE);
      await page.click('text=Sign in');
      await page.click('text=Cancel');
      await expect(page.locator('ol.log')).toContainText('OAuthError (oauth_error: access_denied)');
      // Shown as an error: what the logout cases expect none of.
      await expect(page.locator('.error')).toHaveCount(1);
      expect((await addressBar(page)).search).toBe('');
      await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
    });
  });
}

async function signInOnPage(page: Page, user: string): Promise<void> {
  await page.click('text=Sign in');
  await page.fill('input[name=login]', user);
  await page.click('button.primary');
  await expect(page.locator('.status')).toHaveAttribute('data-status', 'authenticated');
}
