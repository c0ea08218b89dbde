// The e2e harness pages (test/e2e/pages) driven over WebDriver: the same steps as test/e2e/fixtures.ts,
// on a WebKitTab instead of a Playwright page.
import type { Page } from '@playwright/test';
import { BUILDS, type Build } from '../e2e/fixtures.js';
import { storedText } from '../support/page-checks.js';
import { collectPageErrors } from './page-errors.js';
import type { Stack } from './fixtures.js';
import type { WebKitTab } from './webkit-browser.js';

export interface ClientState {
  status: string;
  expiresAt?: number;
  user?: { sub: string } & Record<string, unknown>;
}

/** Waits until the harness has handled any callback, then watches the page for errors. */
export async function waitForHarness(tab: WebKitTab): Promise<void> {
  await tab.waitFor('harnessReady', 10_000, () => (window as any).harnessReady === true);
  await collectPageErrors(tab);
}

export async function openHarness(tab: WebKitTab, stack: Stack, build: Build, query = ''): Promise<void> {
  await tab.goto(stack.app.origin + BUILDS[build] + query);
  await waitForHarness(tab);
}

/** Opens a new tab on a harness page. */
export async function openTab(tab: WebKitTab, stack: Stack, build: Build = 'esm'): Promise<WebKitTab> {
  const fresh = await tab.browser.newTab();
  await openHarness(fresh, stack, build);
  return fresh;
}

/** Sets client options for every harness page of the origin (read from localStorage at page start). */
export async function setHarnessOptions(tab: WebKitTab, stack: Stack, options: object): Promise<void> {
  if (!(await tab.url()).startsWith(stack.app.origin)) await tab.goto(`${stack.app.origin}/test/plain.html`);
  await tab.evaluate((json: string) => localStorage.setItem('harness:options', json), JSON.stringify(options));
}

export function stateOf(tab: WebKitTab): Promise<ClientState> {
  return tab.evaluate(() => (window as any).client.state as ClientState);
}

/** Waits (5 s at most) until the tab's client reaches `status`. */
export function waitForStatus(tab: WebKitTab, status: string): Promise<boolean> {
  return tab.waitFor(`status ${status}`, 5000, (s: string) => (window as any).client?.state.status === s, status);
}

/** The harness's log of states and events. */
export function eventsOf(tab: WebKitTab): Promise<Array<Record<string, any>>> {
  return tab.evaluate(() => (window as any).events);
}

/** Starts a login and returns once the provider's login form is showing. */
export async function startLogin(tab: WebKitTab, stack: Stack, params: Record<string, string> = {}): Promise<void> {
  await tab.evaluate((p: Record<string, string>) => void (window as any).client.login({ params: p }), params);
  await tab.waitForUrl('the provider login page', (url) => url.origin === stack.provider.issuer);
  await tab.waitFor('the login form', 10_000, () => document.querySelector('input[name=login]') !== null);
}

/** Signs in through the provider's real login form; returns the harness's callback result. */
export async function signIn(tab: WebKitTab, stack: Stack, build: Build, user = 'ada', params: Record<string, string> = {}) {
  await openHarness(tab, stack, build);
  await startLogin(tab, stack, params);
  await tab.fill('input[name=login]', user);
  await tab.click('button.primary');
  await tab.waitForUrl('the callback', (url) => url.href.startsWith(stack.app.origin + BUILDS[build]));
  await waitForHarness(tab);
  return tab.evaluate(() => (window as any).callbackResult);
}

/** Signs out from `tab` and waits until it has arrived at the provider's end-session page. */
export async function logoutFrom(tab: WebKitTab, stack: Stack): Promise<void> {
  await tab.evaluate(() => void (window as any).client.logout());
  await tab.waitForUrl('the end-session page', (url) => url.origin === stack.provider.issuer);
  await tab.waitFor('the end-session page to load', 10_000, () => document.readyState === 'complete');
}

/** The session record this tab stored in sessionStorage, parsed. */
export function storedSession(tab: WebKitTab): Promise<Record<string, any> | null> {
  return tab.evaluate(() => {
    const raw = sessionStorage.getItem(`oidc-session:v1:${(window as any).OIDC_CONFIG.clientId}:session`);
    return raw === null ? null : JSON.parse(raw);
  });
}

/** Every place a token could linger for the tab's origin (web storage, IndexedDB, CacheStorage, cookies) as one string. */
export async function everythingStored(tab: WebKitTab): Promise<string> {
  // storedText only calls page.evaluate(fn): a tab can stand in for the Playwright page.
  const pageLike = { evaluate: (fn: () => unknown) => tab.evaluate(fn) } as unknown as Page;
  return `${await storedText(pageLike)}\n${await tab.cookieText()}`;
}

/** True when nothing in `stored` looks like a JWT. */
export const tokenFree = (stored: string) => !/eyJ[\w-]+\.[\w-]+\./.test(stored);

/**
 * Starts recording in the tab when its client's status changes and when the tab gets focus (epoch ms).
 * WebKitWebDriver's Switch To Window fires `focus`, and the SDK re-checks the session on focus: a
 * test that means to see a change arrive over BroadcastChannel checks it came before any focus.
 */
export function recordTimeline(tab: WebKitTab): Promise<void> {
  return tab.evaluate(() => {
    const w = window as any;
    w.timeline = [];
    addEventListener('focus', () => w.timeline.push({ type: 'focus', at: Date.now() }));
    w.client.subscribe((state: { status: string }) => w.timeline.push({ type: state.status, at: Date.now() }));
  });
}

/** When the tab first reached `status` after `since`, and when it first got focus after `since`. */
export async function firstAfter(tab: WebKitTab, status: string, since: number): Promise<{ reachedAt?: number; focusAt?: number }> {
  const timeline = await tab.evaluate(() => (window as any).timeline as Array<{ type: string; at: number }>);
  const first = (type: string) => timeline.find((e) => e.type === type && e.at >= since)?.at;
  return { reachedAt: first(status), focusAt: first('focus') };
}

/**
 * When the tab's access token stops counting as fresh: at half its lifetime (the SDK's rule for short
 * lifetimes). A test that counts provider requests finishes before then, or the SDK rightly renews.
 */
export async function freshUntil(tab: WebKitTab, lifetimeSeconds: number): Promise<number> {
  return ((await stateOf(tab)).expiresAt as number) - (lifetimeSeconds * 1000) / 2;
}
