import { test as base, expect, type Page } from '@playwright/test';
import type { HostileProvider, Scenario } from './provider.js';
import { startHostileWorld, type HostileWorld } from './server.js';
import { expectFailedRequests, pageErrorsFixture, storedText, addressBar } from '../support/page-checks.js';

export { expectFailedRequests, storedText };

/**
 * Fixtures for the hostile suite. Each worker runs its own world (app, provider, attacker); each test
 * starts from a correct provider and a fresh browser context, and fails on any error thrown in a page.
 */
export const test = base.extend<{ world: HostileWorld; pageErrors: string[] }, { worldServer: HostileWorld }>({
  worldServer: [
    async ({}, use) => {
      const world = await startHostileWorld();
      await use(world);
      await world.close();
    },
    { scope: 'worker' },
  ],
  world: async ({ worldServer }, use) => {
    worldServer.op.reset();
    worldServer.op2.reset();
    worldServer.evil.hits.length = 0;
    worldServer.rs.reset();
    await use(worldServer);
  },
  pageErrors: pageErrorsFixture,
});
export { expect };

export interface CallbackResult {
  ok: boolean;
  name?: string;
  code?: string;
  error?: string;
  message?: string;
  isAuthError?: boolean;
  sub?: string;
  returnTo?: string;
}

/** Client options for every page of the app origin (read at page start). */
export async function setAppOptions(page: Page, world: HostileWorld, options: object): Promise<void> {
  if (!page.url().startsWith(world.app)) await page.goto(`${world.app}/`);
  await page.evaluate((json) => localStorage.setItem('hostile:options', json), JSON.stringify(options));
}

/** Opens the app's home page and waits until the client has restored its session. */
export async function openApp(page: Page, world: HostileWorld, path = '/'): Promise<void> {
  await page.goto(world.app + path);
  await page.waitForFunction(() => (window as any).ready === true);
}

/**
 * Signs in (or tries to) with the provider's current scenario: login() from the app, the provider
 * redirects straight back (no UI), the callback page runs handleCallback(). Returns its outcome.
 */
export async function login(page: Page, world: HostileWorld, params: Record<string, string> = {}): Promise<CallbackResult> {
  if (!page.url().startsWith(world.app)) await openApp(page, world);
  // A mark on the page that starts the login tells it apart from the callback page that ends it: a
  // test that signs in twice starts on the first callback page, where `ready` is already true.
  await page.evaluate((p) => {
    (window as any).loginStartedHere = true;
    void (window as any).client.login({ params: p });
  }, params);
  await page.waitForFunction(() => !(window as any).loginStartedHere && location.pathname === '/cb' && (window as any).ready === true);
  return page.evaluate(() => (window as any).callbackResult);
}

/** The page's client state. */
export function stateOf(page: Page): Promise<{ status: string; user?: { sub: string } }> {
  return page.evaluate(() => (window as any).client.state);
}

/** Asserts that no token the provider issued, and nothing JWT-shaped, is kept anywhere. */
export async function expectNoTokensStored(page: Page, op: HostileProvider): Promise<void> {
  const stored = await storedText(page);
  expect(stored, 'a JWT in storage').not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  for (const token of op.issued) expect(stored.includes(token), 'an issued token in storage').toBe(false);
}

/** Response and token-bearing parameters that must never stay in the address bar after a callback. */
export const URL_SECRETS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state', 'access_token', 'id_token', 'refresh_token', 'token_type', 'expires_in', 'response'];

/**
 * REJECT-CLEAN from the security cases: the call rejected with the named error; no token request
 * beyond `tokenRequests`; no token stored; the state anonymous (or the previous user); the address bar
 * without the callback parameters; the attacker never reached. (Page errors fail every test anyway.)
 */
export async function expectRejectClean(
  page: Page,
  world: HostileWorld,
  result: CallbackResult,
  expected: Partial<CallbackResult>,
  options: { tokenRequests?: number; previousSub?: string } = {},
): Promise<void> {
  expect(result).toMatchObject({ ok: false, isAuthError: true, ...expected });
  expect(world.op.count('token'), 'token requests').toBe(options.tokenRequests ?? 0);
  await expectNoTokensStored(page, world.op);
  const state = await stateOf(page);
  if (options.previousSub) expect(state.user?.sub).toBe(options.previousSub);
  else expect(state.status).toBe('anonymous');
  const url = (await addressBar(page));
  for (const name of URL_SECRETS) expect(url.searchParams.has(name), `?${name} left in the address bar`).toBe(false);
  expect(url.hash).toBe('');
  expect(world.evil.hits, 'requests reaching evil.test').toEqual([]);
}

/** Sets the provider's misbehaviour for this test. */
export function misbehave(op: HostileProvider, scenario: Scenario): void {
  op.scenario = scenario;
}
