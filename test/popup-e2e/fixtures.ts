// The popup login against the real provider: an app page that signs in through oidc-session/popup, its
// popup callback page, and a page that forges callbacks from another origin (127.0.0.1 instead of
// localhost: the same server, another origin). The pages import the npm build: /dist/index.js and
// /dist/popup.js.
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../demo/stack.mjs';
import { pageErrorsFixture } from '../support/page-checks.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

export const APP_PATH = '/popup/app.html';
export const CALLBACK_PATH = '/popup/callback.html';
const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

/** Sends `Cross-Origin-Opener-Policy: same-origin` with every provider response while `coop.on` is set. */
function coopHeader(coop: { on: boolean }) {
  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (coop.on) ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  };
}

export const test = base.extend<{ pageErrors: string[]; providerCoop: boolean }, { stack: Stack; coop: { on: boolean } }>({
  coop: [async ({}, use) => use({ on: false }), { scope: 'worker' }],
  stack: [
    async ({ coop }, use) => {
      const stack = await startStack({
        pages: { '/popup/': pagesDir },
        pagePaths: [APP_PATH, CALLBACK_PATH],
        providerMiddleware: [coopHeader(coop)],
      });
      await use(stack);
      await stack.close();
    },
    { scope: 'worker' },
  ],
  // Per test: the provider's pages send COOP for this test only (tests of a worker run one at a time).
  providerCoop: [false, { option: true }],
  page: async ({ page, coop, providerCoop }, use) => {
    coop.on = providerCoop;
    await use(page);
    coop.on = false;
  },
  pageErrors: pageErrorsFixture,
});

export { expect };

/** How a loginWithPopup() call on the app page ended, once it has. */
export interface Outcome {
  settled: boolean;
  ok?: boolean;
  kind?: string;
  sub?: string;
  returnTo?: string;
  code?: string;
  name?: string;
  isAuthError?: boolean;
}

/** Opens the app page; `query` can ask for an `autologin` (no user gesture; `inactive`: once the page has no activation) and loginWithPopup `options` (JSON). */
export async function openApp(page: Page, stack: Stack, query: Record<string, string> = {}): Promise<void> {
  const search = new URLSearchParams(query).toString();
  await page.goto(`${stack.app.origin}${APP_PATH}${search ? `?${search}` : ''}`);
  await page.waitForFunction(() => (window as any).appReady === true);
}

/** Clicks the app's sign-in button (a user gesture) and returns the popup it opened. */
export async function clickLogin(page: Page): Promise<Page> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#login')]);
  return popup;
}

/** Waits until the popup shows the provider's login form. */
export async function atLoginForm(popup: Page, stack: Stack): Promise<void> {
  await popup.waitForURL((url) => url.origin === stack.provider.issuer);
  await popup.waitForSelector('input[name=login]');
}

/** Signs in at the provider's form in the popup and waits until the popup has closed itself or been closed. */
export async function signInInPopup(popup: Page, stack: Stack, user = 'ada'): Promise<void> {
  await atLoginForm(popup, stack);
  await popup.fill('input[name=login]', user);
  await Promise.all([popup.waitForEvent('close', { timeout: 10_000 }), popup.click('button.primary')]);
}

/** The outcome of the app page's `index`-th loginWithPopup() call, once settled (5 s at most). */
export async function outcome(page: Page, index = 0): Promise<Outcome> {
  await page.waitForFunction((i) => (window as any).app.outcomes[i]?.settled === true, index, { timeout: 5000 });
  return page.evaluate((i) => (window as any).app.outcomes[i], index);
}

/** The app page's client state. */
export function stateOf(page: Page): Promise<{ status: string; user?: { sub: string } }> {
  return page.evaluate(() => (window as any).app.client.state);
}

/** The `state` of each authorization request the context sends to the provider, in order. */
export function authorizationStates(context: BrowserContext, stack: Stack): string[] {
  const states: string[] = [];
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === stack.provider.issuer && url.pathname === '/auth' && url.searchParams.has('state')) {
      states.push(url.searchParams.get('state') as string);
    }
  });
  return states;
}
