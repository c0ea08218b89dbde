import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../demo/stack.mjs';
import { createClient } from 'redis';
import { redisStore } from '../../src/server/index.js';
import { startRedis } from '../support/redis-server.mjs';
import { pageErrorsFixture, storedText } from '../support/page-checks.js';

type Stack = Awaited<ReturnType<typeof startStack>>;

/** The e2e pages: the same harness on the npm (ESM) build and on the CDN build. */
export const BUILDS = { esm: '/test/esm.html', cdn: '/test/cdn.html' } as const;
export type Build = keyof typeof BUILDS;

/** Access tokens live this long in the tests' provider, so expiry happens within a test. */
export const ACCESS_TOKEN_TTL = 6;

const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

export const test = base.extend<{ pageErrors: string[] }, { stack: Stack; accessTokenTtl: number; sessionStore: 'memory' | 'redis' }>({
  // Seconds; a test file can ask for its own with test.use({ accessTokenTtl }), which gets it its own worker.
  accessTokenTtl: [ACCESS_TOKEN_TTL, { scope: 'worker', option: true }],
  // Where the session server keeps sessions: its memory, or a real redis-server started for the worker.
  sessionStore: ['memory', { scope: 'worker', option: true }],
  // One provider and app server per worker: request counts at the provider belong to one test at a time.
  stack: [
    async ({ accessTokenTtl, sessionStore }, use) => {
      const redis = sessionStore === 'redis' ? await startRedis() : undefined;
      const client = redis ? createClient({ url: redis.url }) : undefined;
      client?.on('error', () => undefined);
      await client?.connect();
      const stack = await startStack({
        accessTokenTtl,
        pages: { '/test/': pagesDir },
        pagePaths: Object.values(BUILDS),
        ...(client ? { sessionServer: { store: redisStore({ client }) } } : {}),
      });
      await use(stack);
      await stack.close();
      await client?.quit();
      await redis?.stop();
    },
    { scope: 'worker' },
  ],
  // Every test fails on an uncaught error or unhandled rejection in the page.
  pageErrors: pageErrorsFixture,
});

export { expect };

/** Opens a harness page and waits until it has handled any callback. */
export async function openHarness(page: Page, stack: Stack, build: Build, query = ''): Promise<void> {
  await page.goto(stack.app.origin + BUILDS[build] + query);
  await page.waitForFunction(() => (window as any).harnessReady === true);
}

/** Sets client options for every harness page of the origin (read from localStorage at page start). */
export async function setHarnessOptions(page: Page, stack: Stack, options: object): Promise<void> {
  if (!page.url().startsWith(stack.app.origin)) await page.goto(`${stack.app.origin}/test/plain.html`);
  await page.evaluate((json) => localStorage.setItem('harness:options', json), JSON.stringify(options));
}

/** Opens a new tab on a harness page in the same browser context. */
export async function openTab(context: BrowserContext, stack: Stack, build: Build = 'esm'): Promise<Page> {
  const page = await context.newPage();
  await openHarness(page, stack, build);
  return page;
}

/** Waits (5 s at most) until the page's client reaches `status`. */
export function waitForStatus(page: Page, status: string) {
  return page.waitForFunction((s) => (window as any).client?.state.status === s, status, { timeout: 5000 });
}

/**
 * Signs out from `page` and waits until it has arrived at the provider's end-session page. A test that
 * ended with the page still navigating (and the revocation request in flight) could stall Chromium's
 * teardown of the browser context. Resolves with the page's clock (epoch ms) when logout() was called.
 */
export async function logoutFrom(page: Page, stack: Stack): Promise<number> {
  const [, calledAt] = await Promise.all([
    page.waitForURL((url) => url.origin === stack.provider.issuer),
    page.evaluate(() => {
      const at = Date.now();
      void (window as any).client.logout();
      return at;
    }),
  ]);
  await page.waitForLoadState('load');
  return calledAt;
}

/** The page's client state. */
export function stateOf(page: Page): Promise<{ status: string; expiresAt?: number; user?: { sub: string } }> {
  return page.evaluate(() => (window as any).client.state);
}

/** Starts a login from the harness page and returns once the provider's login form is showing. */
export async function startLogin(page: Page, stack: Stack, params: Record<string, string> = {}): Promise<void> {
  await page.evaluate((p) => void (window as any).client.login({ params: p }), params);
  await page.waitForURL((url) => url.origin === stack.provider.issuer);
  await page.waitForSelector('input[name=login]');
}

/** Signs in through the provider's real login form and waits for the callback to be handled. */
export async function signIn(page: Page, stack: Stack, build: Build, user = 'ada', params: Record<string, string> = {}) {
  await openHarness(page, stack, build);
  await startLogin(page, stack, params);
  await page.fill('input[name=login]', user);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(stack.app.origin + BUILDS[build])), page.click('button.primary')]);
  await page.waitForFunction(() => (window as any).harnessReady === true);
  return page.evaluate(() => (window as any).callbackResult);
}

/** The session record this page stored, parsed. */
export function storedSession(page: Page): Promise<Record<string, any> | null> {
  return page.evaluate(() => {
    const raw = sessionStorage.getItem(`oidc-session:v1:${(window as any).OIDC_CONFIG.clientId}:session`);
    return raw === null ? null : JSON.parse(raw);
  });
}

/**
 * Every place a token could linger for this origin: sessionStorage, localStorage, IndexedDB,
 * CacheStorage and cookies, as one string to search.
 */
export async function everythingStored(page: Page): Promise<string> {
  const cookies = await page.context().cookies(page.url());
  return `${await storedText(page)}\n${cookies.map((c) => `${c.name}=${c.value}`).join('\n')}`;
}
