// Silent sign-in against oidc-provider with the app on ANOTHER site than the provider (the app on
// 127.0.0.1, the provider on localhost), as users run it: on one site, a frame's cookies are
// first-party and every check passes for reasons that do not hold in production.
//
// oidc-provider sets its cookies SameSite=Lax, which a cross-site frame never carries; providers that
// support silent sign-in set `SameSite=None; Secure`, which the middleware below does. Chromium and
// Firefox take Secure cookies from http://localhost (a potentially trustworthy origin), so no TLS is needed.
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../demo/stack.mjs';
import { chromiumLaunchOptions } from '../browsers/chromium.js';
import { firefoxLaunchOptions } from '../browsers/firefox.js';
import { pageErrorsFixture } from '../support/page-checks.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

/** How the provider answers, switched per test. */
export interface ProviderSwitches {
  /**
   * Answer the authorization request with a page that moves on to the redirect URI, as some
   * providers do, instead of a redirect: a page, unlike a redirect, can be refused a frame.
   */
  bouncePage: boolean;
  /** `deny`: X-Frame-Options DENY; `csp`: CSP frame-ancestors 'none'; on every response. */
  framing: 'allowed' | 'deny' | 'csp';
  /** The authorization endpoint never answers (an overloaded or unreachable provider). */
  stall: boolean;
}

/**
 * The browser's third-party cookie setting. Chromium: the profile's `profile.cookie_controls_mode`,
 * 0 allows, 1 blocks. Firefox: `network.cookie.cookieBehavior`, 0 allows, 1 blocks; not its default
 * 5 (Total Cookie Protection), which gives the frame a partitioned, empty jar of its own.
 */
export type ThirdPartyCookies = 'allowed' | 'blocked';

const FIREFOX_COOKIE_BEHAVIOR: Record<ThirdPartyCookies, number> = { allowed: 0, blocked: 1 };

export const APP_PATH = '/silent/app.html';
export const SILENT_PATH = '/silent/silent.html';

const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

/** `SameSite=None; Secure` on every cookie the provider sets, so that a cross-site frame carries them. */
function crossSiteCookies() {
  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    const cookies = ctx.response.get('set-cookie');
    if (Array.isArray(cookies) && cookies.length) {
      ctx.set('set-cookie', cookies.map((cookie: string) => `${cookie.replace(/;\s*samesite=\w+/i, '')}; samesite=none; secure`));
    }
  };
}

/** The switches: an authorization answer as a page, framing refused, a stalled endpoint. */
function switchable(switches: ProviderSwitches) {
  return async (ctx: any, next: () => Promise<void>) => {
    // Never settles: the server's close ends the connection.
    if (switches.stall && /^\/auth(\/|$)/.test(ctx.path)) return new Promise<void>(() => undefined);
    await next();
    const location = ctx.response.get('location');
    if (switches.bouncePage && /^\/auth(\/|$)/.test(ctx.path) && ctx.status >= 300 && ctx.status < 400 && location) {
      const href = String(location).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      ctx.remove('location');
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta http-equiv="refresh" content="0;url=${href}"><title>Continuing</title>`;
    }
    if (switches.framing === 'deny') ctx.set('x-frame-options', 'DENY');
    if (switches.framing === 'csp') ctx.set('content-security-policy', "frame-ancestors 'none'");
  };
}

const DEFAULT_SWITCHES: ProviderSwitches = { bouncePage: false, framing: 'allowed', stall: false };

export const test = base.extend<
  { pageErrors: string[]; switches: ProviderSwitches; thirdPartyCookies: ThirdPartyCookies },
  { world: { stack: Stack; switches: ProviderSwitches }; firefoxWith: (cookies: ThirdPartyCookies) => Promise<Browser> }
>({
  world: [
    async ({}, use) => {
      const switches: ProviderSwitches = { ...DEFAULT_SWITCHES };
      const stack = await startStack({
        appHost: '127.0.0.1',
        pages: { '/silent/': pagesDir },
        pagePaths: [APP_PATH, SILENT_PATH],
        providerMiddleware: [crossSiteCookies(), switchable(switches)],
      });
      await use({ stack, switches });
      await stack.close();
    },
    { scope: 'worker' },
  ],
  // Reset for every test: a test that refuses framing does not leak into the next.
  switches: async ({ world }, use) => {
    Object.assign(world.switches, DEFAULT_SWITCHES);
    await use(world.switches);
    Object.assign(world.switches, DEFAULT_SWITCHES);
  },
  thirdPartyCookies: ['allowed', { option: true }],
  // Firefox takes the setting as a preference at launch, for every context: one browser per worker
  // and setting, launched when a test first needs it.
  firefoxWith: [
    async ({ playwright }, use) => {
      const browsers = new Map<ThirdPartyCookies, Promise<Browser>>();
      await use((cookies) => {
        if (!browsers.has(cookies)) {
          const firefoxUserPrefs = { ...firefoxLaunchOptions.firefoxUserPrefs, 'network.cookie.cookieBehavior': FIREFOX_COOKIE_BEHAVIOR[cookies] };
          browsers.set(cookies, playwright.firefox.launch({ ...firefoxLaunchOptions, firefoxUserPrefs }));
        }
        return browsers.get(cookies) as Promise<Browser>;
      });
      for (const browser of browsers.values()) await (await browser).close();
    },
    { scope: 'worker' },
  ],
  // Chromium: a profile of its own with the third-party cookie setting written in: Playwright's
  // contexts (and a fresh profile) of this Chromium block third-party cookies, and only a profile's
  // preferences change that (Network.setCookieControls does not lift the block).
  context: async ({ playwright, thirdPartyCookies, browserName, firefoxWith }, use) => {
    if (browserName === 'firefox') {
      const context = await (await firefoxWith(thirdPartyCookies)).newContext();
      await use(context);
      await context.close();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'oidc-silent-profile-'));
    mkdirSync(join(dir, 'Default'));
    writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: thirdPartyCookies === 'allowed' ? 0 : 1 } }));
    const context: BrowserContext = await playwright.chromium.launchPersistentContext(dir, chromiumLaunchOptions);
    await use(context);
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  },
  pageErrors: pageErrorsFixture,
});

export { expect };

/** Opens the app page (a fresh client) and waits until it has handled any redirect. */
export async function openApp(page: Page, stack: Stack, query = ''): Promise<void> {
  await page.goto(stack.app.origin + APP_PATH + query);
  await page.waitForFunction(() => (window as any).appReady);
  await page.evaluate(() => (window as any).appReady);
}

/** Signs in with a full-page redirect through the provider's form: the provider now has a session. */
export async function signInAtProvider(page: Page, stack: Stack, user = 'ada'): Promise<void> {
  await openApp(page, stack);
  await Promise.all([page.waitForURL((url) => url.origin === stack.provider.issuer), page.evaluate(() => void (window as any).login())]);
  await page.fill('input[name=login]', user);
  await Promise.all([page.waitForURL((url) => url.origin === stack.app.origin), page.click('button.primary')]);
  await page.waitForFunction(() => (window as any).client?.state.status === 'authenticated');
}

/** The outcome of signInSilently() on the page, as a plain object. */
export type Outcome = {
  ok: boolean;
  result?: 'undefined' | { kind: string; sub: string; returnTo: string };
  name?: string;
  code?: string;
  message?: string;
  providerError?: string;
  isAuthError?: boolean;
  ms: number;
};

export function silent(page: Page, options: object = {}): Promise<Outcome> {
  return page.evaluate((o) => (window as any).silent(o), options);
}

/**
 * The user's next visit: a new tab of the app with no session of its own (the tab that signed in is
 * closed, and with it its sessionStorage), while the provider still has the user's session.
 */
export async function nextVisit(context: BrowserContext, stack: Stack, signedIn: Page): Promise<Page> {
  await signedIn.close();
  const page = await context.newPage();
  await openApp(page, stack);
  await page.waitForFunction(() => (window as any).client.state.status === 'anonymous');
  return page;
}

/** The keys of the session and of pending logins the client keeps in this tab. */
export function sessionKeys(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(sessionStorage).filter((key) => /^oidc-session:.*:(session|txn:)/.test(key)).sort());
}
