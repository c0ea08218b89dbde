// The SDK's full script-tag build in a real Manifest V3 extension, against oidc-provider: sign-in and
// sign-out through chrome.identity.launchWebAuthFlow (webAuthFlow()), the session in
// chrome.storage.session (extensionStorage()). The extension is examples/extension itself (its service
// worker runs the flows for its popup), loaded with the test key, its config.js written for the local
// provider and a test page (sdk-page/) added to drive a client from an extension tab.
import { test as base, expect, type Page, type Worker } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProvider } from '../../demo/provider.mjs';
import { storedText, watchPageErrors } from '../support/page-checks.js';
import {
  chromiumAppUrl,
  confirmLogoutAtProvider,
  fixtureExtensionId,
  fixtureManifest,
  launchExtension,
  openExtensionPage,
  signInAtProvider,
  type ExtensionContext,
} from './extension-context.js';

type Provider = Awaited<ReturnType<typeof startProvider>>;

const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const SDK = file('../../dist/oidc-session-full.global.js');
const EXAMPLE = file('../../examples/extension/');
const CLIENT_ID = 'example-extension';
const SESSION_KEY = `oidc-session:v1:${CLIENT_ID}:session`;

// What the spec evaluates in the extension: globals of sdk-page/sdk-page.js, of the example's
// background.js (`auth`) and of the browser.
declare const createClient: () => any;
declare const settle: (promise: Promise<unknown>) => Promise<Outcome>;
declare const auth: any;
declare const chrome: any;
declare let client: any;
declare let pending: Promise<Outcome>;

type Outcome = { value?: any; error?: { name: string; code?: string; message: string; isAuthError: boolean } };

const test = base.extend<{ provider: Provider; ext: ExtensionContext; page: Page }>({
  // The demo provider with the extension's chromiumapp.org URIs registered, and CORS open to its
  // origin (the token request comes from chrome-extension://<id>; see probe.spec.ts). One per test, so
  // that its request counts and issued tokens are the test's own.
  provider: async ({}, use) => {
    const id = await fixtureExtensionId();
    const provider = await startProvider({
      clientId: CLIENT_ID,
      redirectUris: [chromiumAppUrl(id, 'callback')],
      postLogoutRedirectUris: [chromiumAppUrl(id, 'logout')],
      configure: (config: any) => {
        const allowed = config.clientBasedCORS;
        return { ...config, clientBasedCORS: (ctx: unknown, origin: string, client: unknown) => origin === `chrome-extension://${id}` || allowed(ctx, origin, client) };
      },
    });
    await use(provider);
    await provider.close();
  },
  // examples/extension with the test key (a fixed id), the SDK copied in as its README says, its
  // config.js pointing at the provider, and the test page.
  ext: async ({ provider }, use, testInfo) => {
    if (!existsSync(SDK)) throw new Error('dist/oidc-session-full.global.js is missing: run `npx tsup` first');
    const { key } = await fixtureManifest();
    const ext = await launchExtension({
      source: EXAMPLE,
      page: 'sdk.html',
      manifest: (manifest) => ({ ...manifest, key }),
      files: {
        'oidc-session-full.global.js': SDK,
        'config.js': { text: `const config = ${JSON.stringify({ issuer: provider.issuer, clientId: provider.clientId })};\n` },
        'sdk.html': file('./sdk-page/sdk.html'),
        'sdk-page.js': file('./sdk-page/sdk-page.js'),
      },
    });
    const errors = watchPageErrors(ext.context);
    // The service worker has no pageerror event: what it throws or logs as an error fails the test too.
    const workerErrors: string[] = [];
    ext.worker.on('console', (message) => void (message.type() === 'error' && workerErrors.push(message.text())));
    await ext.worker.evaluate(() => {
      addEventListener('error', (event) => console.error(`uncaught: ${event.message}`));
      addEventListener('unhandledrejection', (event) => console.error(`unhandled rejection: ${event.reason}`));
    });
    await use(ext);
    await ext.close();
    errors.check(testInfo);
    expect(workerErrors, 'errors logged by the service worker').toEqual([]);
  },
  // The test page, with a client made as the example makes it.
  page: async ({ ext }, use) => {
    await ext.page.evaluate(() => void (client = createClient()));
    await use(ext.page);
  },
});

/** Runs `start` (which makes the SDK open the auth window) and returns that window. */
async function authWindowFor(ext: ExtensionContext, start: () => Promise<unknown>): Promise<Page> {
  const [authWindow] = await Promise.all([ext.context.waitForEvent('page', { timeout: 10_000 }), start()]);
  return authWindow;
}

/** Calls `client.<method>()` in the page without waiting; `pending` holds its outcome. */
function call(page: Page, method: 'login' | 'logout') {
  return page.evaluate((m) => void (pending = settle(client[m]())), method);
}

/** Everything in chrome.storage.session, read from an extension page or the worker. */
function sessionArea(from: Page | Worker): Promise<Record<string, string>> {
  const read = () => chrome.storage.session.get(null);
  return 'mainFrame' in from ? from.evaluate(read) : from.evaluate(read);
}

test('an extension page signs in and out through the auth window, the session in chrome.storage.session', async ({ ext, page, provider }) => {
  // chrome.storage is asynchronous: the state is `loading` until the first read.
  expect(await page.evaluate(() => client.state.status)).toBe('loading');
  await expect.poll(() => page.evaluate(() => client.state.status)).toBe('anonymous');
  // Another tab of the extension, its client started before the login.
  const second = await openExtensionPage(ext, 'sdk.html');
  await second.evaluate(() => void (client = createClient()));
  await expect.poll(() => second.evaluate(() => client.state.status)).toBe('anonymous');
  // The service worker's client (examples/extension/background.js), started before the login too.
  await expect.poll(() => ext.worker.evaluate(() => auth.state.status)).toBe('anonymous');

  const authWindow = await authWindowFor(ext, () => call(page, 'login'));
  await expect(authWindow).toHaveURL(new RegExp(`^${provider.issuer}/interaction/`));
  await signInAtProvider(authWindow, 'ada');
  const login = await page.evaluate(() => pending);
  expect(login.error).toBeUndefined();
  expect(login.value).toMatchObject({ kind: 'login', user: { sub: 'ada', name: 'Ada' }, returnTo: '/' });
  expect(ext.context.pages()).not.toContain(authWindow);

  expect(await page.evaluate(() => client.state)).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
  const accessToken = await page.evaluate(() => client.getAccessToken());
  expect(provider.issued).toContain(accessToken);
  expect(provider.count('token', 'authorization_code')).toBe(1);

  // The session is in chrome.storage.session, and nothing of it in the page's own storage.
  const stored = await sessionArea(page);
  expect(stored[SESSION_KEY]).toContain(accessToken);
  const pageStorage = await storedText(page);
  for (const token of provider.issued) expect(pageStorage).not.toContain(token);
  expect(await page.evaluate(() => [sessionStorage.length, localStorage.length])).toEqual([0, 0]);
  expect(await sessionArea(ext.worker)).toEqual(stored);

  // The other tab heard of the login (BroadcastChannel) and reads the same session.
  await expect.poll(() => second.evaluate(() => client.state.status)).toBe('authenticated');
  expect(await second.evaluate(() => client.getUser())).toEqual(login.value.user);
  expect(await second.evaluate(() => client.getAccessToken())).toBe(accessToken);
  // So did the service worker: workers have BroadcastChannel too.
  await expect.poll(() => ext.worker.evaluate(() => auth.state.status)).toBe('authenticated');
  expect(await ext.worker.evaluate(() => auth.getAccessToken())).toBe(accessToken);

  // Sign-out: the provider's confirmation in the auth window, then its redirect to /logout.
  const logoutWindow = await authWindowFor(ext, () => call(page, 'logout'));
  await expect(logoutWindow).toHaveURL(new RegExp(`^${provider.issuer}/`));
  await confirmLogoutAtProvider(logoutWindow);
  expect(await page.evaluate(() => pending)).toEqual({ value: undefined });
  expect(ext.context.pages()).not.toContain(logoutWindow);
  expect(await page.evaluate(() => client.state.status)).toBe('anonymous');
  await expect.poll(() => second.evaluate(() => client.state.status)).toBe('anonymous');
  // The worker stops using the session at once, not when its cached access token expires.
  await expect.poll(() => ext.worker.evaluate(() => auth.state.status)).toBe('anonymous');
  await expect.poll(() => provider.count('revocation')).toBe(1);
  expectSignedOut(await sessionArea(page), provider);
});

test('the example: the popup has the service worker sign in and out, and may close meanwhile', async ({ ext, provider }) => {
  // As shipped: no key (the test adds its own), and the two permissions it needs.
  const shipped = JSON.parse(readFileSync(join(EXAMPLE, 'manifest.json'), 'utf8'));
  expect(shipped).not.toHaveProperty('key');
  expect(shipped.permissions).toEqual(['identity', 'storage']);

  const popup = await openExtensionPage(ext, 'popup.html');
  await expect(popup.locator('#status')).toHaveText('Signed out');

  // The user closes the auth window: the worker's login() rejects, the popup says so.
  const closed = await authWindowFor(ext, () => popup.click('#login'));
  await closed.waitForSelector('input[name=login]');
  await closed.close();
  await expect(popup.locator('#status')).toHaveText('aborted: auth window: The user did not approve access.');
  await expect(popup.locator('#login')).toBeEnabled();

  // Chrome closes a real popup when the auth window takes the focus: the worker finishes the login.
  const authWindow = await authWindowFor(ext, () => popup.click('#login'));
  await popup.close();
  await signInAtProvider(authWindow, 'grace.hopper');
  await expect.poll(() => ext.worker.evaluate(() => auth.state.status)).toBe('authenticated');
  expect(await ext.worker.evaluate(() => auth.state)).toMatchObject({ user: { sub: 'grace.hopper', name: 'Grace Hopper' } });
  const accessToken = await ext.worker.evaluate(() => auth.getAccessToken());
  expect(provider.issued).toContain(accessToken);
  expect((await sessionArea(ext.worker))[SESSION_KEY]).toContain(accessToken);

  // The popup opened again shows the user; sign-out from it, this time staying open.
  const again = await openExtensionPage(ext, 'popup.html');
  await expect(again.locator('#status')).toHaveText('Signed in as Grace Hopper');
  const logoutWindow = await authWindowFor(ext, () => again.click('#logout'));
  await confirmLogoutAtProvider(logoutWindow);
  await expect(again.locator('#status')).toHaveText('Signed out');
  await expect(again.locator('#login')).toBeVisible();
  expect(await ext.worker.evaluate(() => auth.state.status)).toBe('anonymous');
  await expect.poll(() => provider.count('revocation')).toBe(1);
  expectSignedOut(await sessionArea(ext.worker), provider);
});

test('closing the auth window rejects login(), stores no session, and a later login works', async ({ ext, page, provider }) => {
  const authWindow = await authWindowFor(ext, () => call(page, 'login'));
  await authWindow.waitForSelector('input[name=login]');
  await authWindow.close();
  const closed = await page.evaluate(() => pending);
  expect(closed.error).toMatchObject({ isAuthError: true, code: 'aborted' });
  expect(closed.error!.message).toContain('The user did not approve access.');
  expect(await page.evaluate(() => client.state.status)).toBe('anonymous');
  const left = await sessionArea(page);
  expect(left[SESSION_KEY]).toBeUndefined();
  // The abandoned login's own record (state, nonce, PKCE verifier) stays until a logout sweeps it, or
  // it expires (15 minutes); no token was issued.
  for (const key of Object.keys(left)) expect(key).toMatch(/:(discovery|txn:[\w-]+)$/);
  expect(provider.count('token')).toBe(0);

  const retry = await authWindowFor(ext, () => call(page, 'login'));
  await signInAtProvider(retry, 'ada');
  expect(await page.evaluate(() => pending)).toMatchObject({ value: { kind: 'login', user: { sub: 'ada' } } });
  expect(await page.evaluate(() => client.state.status)).toBe('authenticated');
  expect(await sessionArea(page)).toHaveProperty([SESSION_KEY]);
});

/** After a logout: no session, no pending login and no token in chrome.storage.session. */
function expectSignedOut(stored: Record<string, string>, provider: Provider) {
  // What stays: the provider's metadata, and the logout's `state` (taken by handleRedirect() on a web
  // page; here it waits for the next login, which removes it).
  for (const key of Object.keys(stored)) expect(key).toMatch(/^oidc-session:v1:[^:]+:(discovery|logout)$/);
  for (const token of provider.issued) expect(JSON.stringify(stored)).not.toContain(token);
}
