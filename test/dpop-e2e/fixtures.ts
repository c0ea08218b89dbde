// DPoP end to end: the app page (pages/app.html) signs in through oidc-session/dpop against
// oidc-provider with DPoP required (test/support/dpop-provider.mjs), and calls a resource server that
// verifies every proof (test/support/resource-server.mjs) through oidc-session/fetch.
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { startStack } from '../../demo/stack.mjs';
import { dpopProviderConfig } from '../support/dpop-provider.mjs';
import { startResourceServer } from '../support/resource-server.mjs';
import { pageErrorsFixture } from '../support/page-checks.js';

type Stack = Awaited<ReturnType<typeof startStack>>;
type ResourceServer = Awaited<ReturnType<typeof startResourceServer>>;

export const APP_PATH = '/dpop/app.html';
const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));

export interface World {
  stack: Stack;
  rs: ResourceServer;
  /** Every pushed authorization request the provider answered: its DPoP header and the parameters it read. */
  pushes: { dpop: string; params: Record<string, unknown> }[];
}

/** What the provider demands, per worker: a test file asks with test.use({ providerNonce: true }). */
export const test = base.extend<{ pageErrors: string[]; freshLogs: void }, { world: World; providerNonce: boolean; providerPar: false | 'client' | 'provider'; accessTokenTtl: number }>({
  providerNonce: [false, { scope: 'worker', option: true }],
  // The provider refuses authorization requests that were not pushed (RFC 9126 §5): this client's
  // registration says so (`client`), or the provider's metadata for every client (`provider`).
  providerPar: [false, { scope: 'worker', option: true }],
  accessTokenTtl: [60, { scope: 'worker', option: true }],
  world: [
    async ({ providerNonce, providerPar, accessTokenTtl }, use) => {
      const pushes: World['pushes'] = [];
      const stack = await startStack({
        accessTokenTtl,
        providerMiddleware: [
          async (ctx: any, next: () => Promise<void>) => {
            await next();
            if (ctx.oidc?.route === 'pushed_authorization_request') pushes.push({ dpop: ctx.get('dpop'), params: { ...ctx.oidc.params } });
          },
        ],
        pages: { '/dpop/': pagesDir },
        pagePaths: [APP_PATH],
        configureProvider: (config: object) => {
          const configured = dpopProviderConfig(config, { requireDPoP: true, requireNonce: providerNonce, requirePar: providerPar === 'client' }) as Record<string, any>;
          if (providerPar === 'provider') configured.features.pushedAuthorizationRequests = { ...configured.features.pushedAuthorizationRequests, requirePushedAuthorizationRequests: true };
          return configured;
        },
      });
      const rs = await startResourceServer({ provider: stack.provider.provider, issuer: stack.provider.issuer, allowOrigin: stack.app.origin, requireNonce: true });
      await use({ stack, rs, pushes });
      await rs.close();
      await stack.close();
    },
    { scope: 'worker' },
  ],
  pageErrors: pageErrorsFixture,
  // The stack lives as long as the worker; each test reads only the requests it caused.
  freshLogs: [
    async ({ world }, use) => {
      world.stack.provider.requests.length = 0;
      world.rs.log.length = 0;
      world.pushes.length = 0;
      await use();
    },
    { auto: true },
  ],
});
export { expect };

/** Client options (and `dpopOptions`) for every page of the app origin, read at page start. */
export async function setOptions(page: Page, world: World, options: object): Promise<void> {
  if (!page.url().startsWith(world.stack.app.origin)) await page.goto(world.stack.app.origin + '/demo/');
  await page.evaluate((json) => localStorage.setItem('dpop:options', json), JSON.stringify(options));
}

export async function openApp(page: Page, world: World): Promise<void> {
  await page.goto(world.stack.app.origin + APP_PATH);
  await page.waitForFunction(() => (window as any).ready === true);
}

/** Signs in as `user` at the provider's form; resolves with the callback page's outcome. */
export async function signIn(page: Page, world: World, user = 'ada'): Promise<{ ok: boolean; sub?: string; code?: string; name?: string }> {
  if (!page.url().startsWith(world.stack.app.origin + APP_PATH)) await openApp(page, world);
  // prompt=login: the provider shows its form even when it remembers the user.
  await page.evaluate(() => void (window as any).client.login({ params: { prompt: 'login' } }));
  await page.waitForURL((url) => url.origin === world.stack.provider.issuer);
  await page.fill('input[name=login]', user);
  await page.click('button.primary');
  await page.waitForURL((url) => url.pathname === APP_PATH && url.origin === world.stack.app.origin);
  await page.waitForFunction(() => (window as any).ready === true);
  return page.evaluate(() => (window as any).callbackResult);
}

/** Opens another tab of the app in the same browser context. */
export async function openTab(context: BrowserContext, world: World): Promise<Page> {
  const page = await context.newPage();
  await openApp(page, world);
  return page;
}

/** The DPoP key entries the page's origin holds in IndexedDB: name, and what the private key says of itself. */
export function storedKeys(page: Page): Promise<{ name: string; extractable: boolean; type: string; algorithm: string; exportError?: string }[]> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((resolve, reject) => {
      const request = indexedDB.open('oidc-session-dpop');
      request.onupgradeneeded = () => request.result.createObjectStore('keys');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const read = <T,>(use: (store: IDBObjectStore) => IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        const request = use(db.transaction('keys').objectStore('keys'));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const names = (await read((s) => s.getAllKeys())) as string[];
    const values = (await read((s) => s.getAll())) as { pair: CryptoKeyPair }[];
    db.close();
    return Promise.all(
      values.map(async (value, i) => {
        const key = value.pair.privateKey;
        const exportError = await crypto.subtle.exportKey('jwk', key).then(
          () => undefined,
          (error: Error) => error.name,
        );
        return { name: names[i] as string, extractable: key.extractable, type: key.type, algorithm: (key.algorithm as EcKeyAlgorithm).namedCurve, exportError };
      }),
    );
  });
}

/** Everything the page's origin keeps as text (web storage and the SDK's IndexedDB strings), for scans. */
export function storedText(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
}
