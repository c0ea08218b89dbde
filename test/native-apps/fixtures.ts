// A provider with a native client (RFC 8252) and an app server whose page stands in for a native app's
// web view. What the operating system does is done here: the provider's redirects to the app's
// private-use scheme are caught and handed to the test as deep links, and a separate browser context
// plays the system browser, with its own cookies.
import { test as base, expect, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../demo/stack.mjs';
import { pageErrorsFixture } from '../support/page-checks.js';

export const SCHEME = 'com.example.app:';
export const PRIVATE_USE_REDIRECT = `${SCHEME}/callback`;
export const PRIVATE_USE_LOGOUT = `${SCHEME}/logout`;
/** Paths of the claimed https URLs (an iOS universal link, an Android app link) on the app's host. */
export const CLAIMED_PATH = '/native/claimed/callback';
export const CLAIMED_LOGOUT_PATH = '/native/claimed/logout';
/** The loopback redirect URI a desktop app registers: any port is allowed (RFC 8252 §7.3). */
export const LOOPBACK_REDIRECT = 'http://127.0.0.1/callback';
export const NATIVE_CLIENT_ID = 'native-app';

type Stack = Awaited<ReturnType<typeof startStack>>;

/** Deep links the "operating system" received: the provider's redirects to the app's scheme, oldest first. */
export interface DeepLinks {
  readonly received: string[];
  /** Resolves with the next deep link (one not taken yet). */
  next(): Promise<string>;
}

const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

/** Catches redirects to the private-use scheme, as the operating system would, and answers with a plain page. */
function deepLinkCatcher(links: string[], waiting: Array<(url: string) => void>) {
  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    const location = ctx.response.get('location');
    if (ctx.status >= 300 && ctx.status < 400 && typeof location === 'string' && location.startsWith(SCHEME)) {
      links.push(location);
      waiting.shift()?.(location);
      ctx.remove('location');
      ctx.status = 200;
      ctx.type = 'text/html';
      ctx.body = '<!doctype html><title>Opening the app</title><p>Opening the app…</p>';
    }
  };
}

export const test = base.extend<
  { pageErrors: string[]; deepLinks: DeepLinks; systemBrowser: Page },
  { stack: Stack; links: { received: string[]; waiting: Array<(url: string) => void> } }
>({
  links: [async ({}, use) => use({ received: [], waiting: [] }), { scope: 'worker' }],
  stack: [
    async ({ links }, use) => {
      const stack = await startStack({
        pages: { '/native/': pagesDir },
        providerMiddleware: [deepLinkCatcher(links.received, links.waiting)],
        configureProvider: (configuration: any, app: string) => ({
          ...configuration,
          clients: [
            ...configuration.clients,
            {
              client_id: NATIVE_CLIENT_ID,
              application_type: 'native',
              token_endpoint_auth_method: 'none',
              grant_types: ['authorization_code', 'refresh_token'],
              response_types: ['code'],
              redirect_uris: [PRIVATE_USE_REDIRECT, app + CLAIMED_PATH, LOOPBACK_REDIRECT],
              post_logout_redirect_uris: [PRIVATE_USE_LOGOUT, app + CLAIMED_LOGOUT_PATH],
            },
          ],
          // A native app's web view calls the token endpoint from its own origin (https://localhost in
          // Capacitor, here the app server's): the provider must allow it, as real providers let you set.
          clientBasedCORS: (ctx: any, origin: string, client: any) =>
            (client.clientId === NATIVE_CLIENT_ID && origin === app) || configuration.clientBasedCORS(ctx, origin, client),
        }),
      });
      await use(stack);
      await stack.close();
    },
    { scope: 'worker' },
  ],
  deepLinks: async ({ links }, use) => {
    let taken = links.received.length;
    await use({
      received: links.received,
      next: () => {
        const ready = links.received[taken];
        if (ready !== undefined) {
          taken++;
          return Promise.resolve(ready);
        }
        return new Promise((resolve) => links.waiting.push((url) => (taken++, resolve(url))));
      },
    });
  },
  // The system browser: its own context, so its provider cookies are not the web view's.
  systemBrowser: async ({ browser }, use) => {
    const context = await browser.newContext();
    await use(await context.newPage());
    await context.close();
  },
  pageErrors: pageErrorsFixture,
});

export { expect };

/** Opens the app's web view with this redirect URI (and post-logout URI). */
export async function openApp(page: Page, stack: Stack, redirect: string, postLogout: string): Promise<void> {
  const query = new URLSearchParams({ redirect, postLogout });
  await page.goto(`${stack.app.origin}/native/app.html?${query}`);
  await page.waitForFunction(() => (window as any).appReady === true);
}

/** The URLs the app asked the system browser to open, so far. */
export function openedUrls(page: Page): Promise<string[]> {
  return page.evaluate(() => [...(window as any).app.opened]);
}

/** In the system browser: signs in at the provider's form, then waits for the provider to redirect away. */
export async function signInAtProvider(systemBrowser: Page, url: string, user = 'ada'): Promise<void> {
  await systemBrowser.goto(url);
  await systemBrowser.fill('input[name=login]', user);
  await systemBrowser.click('button.primary');
}
