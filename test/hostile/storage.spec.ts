import type { Page } from '@playwright/test';
import { expect, login, openApp, setAppOptions, stateOf, test } from './fixtures.js';

// J. Storage: missing, blocked, full or slow storage ends in a typed error or a documented mode
// (the session in memory for this page, with a 'warning' event), never in a half-written state.

const warnings = (page: Page) => page.evaluate(() => (window as any).events.filter((e: any) => e.type === 'warning'));
const oidcKeys = (page: Page, storage: 'localStorage' | 'sessionStorage') =>
  page.evaluate((s) => Object.keys(window[s]).filter((k) => k.startsWith('oidc-session:')), storage);
const loginError = (page: Page) => page.evaluate(() => (window as any).client.login().then(() => null, (window as any).describe));

test.describe('ST-01 sessionStorage unavailable', () => {
  test('ST-01 reading sessionStorage throws: the app starts signed out with a warning; login() refuses before navigating', async ({ page, context, world }) => {
    await context.addInitScript(() => {
      Object.defineProperty(window, 'sessionStorage', {
        configurable: true,
        get() {
          throw new DOMException('The document is sandboxed', 'SecurityError');
        },
      });
    });
    await openApp(page, world);
    expect((await stateOf(page)).status).toBe('anonymous');
    expect(await warnings(page)).toEqual([expect.objectContaining({ name: 'StorageError', code: 'storage_unavailable' })]);
    expect(await loginError(page)).toMatchObject({ name: 'StorageError', code: 'storage_unavailable', isAuthError: true });
    expect(world.op.count('authorize')).toBe(0);
    // Never a silent fallback to localStorage.
    expect(await oidcKeys(page, 'localStorage')).toEqual([]);
  });

  test('ST-01 setItem throws: login() refuses with StorageError before any navigation', async ({ page, context, world }) => {
    await context.addInitScript(() => {
      Storage.prototype.setItem = function () {
        throw new DOMException('writes are blocked', 'SecurityError');
      };
    });
    await openApp(page, world);
    expect(await loginError(page)).toMatchObject({ name: 'StorageError' });
    expect(world.op.count('authorize')).toBe(0);
    expect(await oidcKeys(page, 'sessionStorage')).toEqual([]);
  });
});

test.describe('ST-02 quota exceeded', () => {
  test('ST-02 sessionStorage full before login: StorageError, no half-written transaction', async ({ page, world }) => {
    await openApp(page, world);
    await page.evaluate(() => {
      let i = 0;
      for (let size = 1 << 20; size >= 1; size >>= 1) {
        try {
          for (;;) sessionStorage.setItem(`fill-${i++}`, 'x'.repeat(size));
        } catch {
          // this size no longer fits; try a smaller one
        }
      }
    });
    expect(await loginError(page)).toMatchObject({ name: 'StorageError', message: expect.stringContaining('full') });
    expect(world.op.count('authorize')).toBe(0);
    expect((await oidcKeys(page, 'sessionStorage')).filter((k) => k.includes(':txn:'))).toEqual([]);
  });

  test('ST-02 the session no longer fits after the code exchange: signed in for this page, warned, nothing half-written', async ({ page, context, world }) => {
    await context.addInitScript(() => {
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key: string, value: string) {
        if (key.endsWith(':session')) throw new DOMException('quota', 'QuotaExceededError');
        return setItem.call(this, key, value);
      };
    });
    expect(await login(page, world)).toMatchObject({ ok: true, sub: 'alice' });
    expect((await stateOf(page)).status).toBe('authenticated');
    expect(await page.evaluate(() => (window as any).client.getAccessToken())).toBeTruthy();
    expect(await warnings(page)).toEqual([expect.objectContaining({ name: 'StorageError', message: expect.stringContaining('full') })]);
    expect((await oidcKeys(page, 'sessionStorage')).filter((k) => k.endsWith(':session') || k.includes(':txn:'))).toEqual([]);
    // Memory only: a reload starts signed out; signing in again works.
    await openApp(page, world);
    expect((await stateOf(page)).status).toBe('anonymous');
    expect(await login(page, world)).toMatchObject({ ok: true });
  });

  test('ST-02 a 4 MB id_token from the provider: refused, the user not signed in, nothing stored', async ({ page, world }) => {
    world.op.scenario = {
      token: async ({ normal }) => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...(await normal()).json, id_token: `eyJ${'a'.repeat(4 << 20)}.e30.x` }),
      }),
    };
    expect(await login(page, world)).toMatchObject({ ok: false, name: 'ProtocolError' });
    expect((await stateOf(page)).status).toBe('anonymous');
    expect((await oidcKeys(page, 'sessionStorage')).filter((k) => k.endsWith(':session') || k.includes(':txn:'))).toEqual([]);
  });
});

test.describe('ST-03 IndexedDB unavailable', () => {
  const broken: Array<[string, () => void]> = [
    ['indexedDB is undefined', () => Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true })],
    [
      'open() fails',
      () => {
        IDBFactory.prototype.open = function () {
          const request: any = { error: new DOMException('open failed', 'UnknownError') };
          setTimeout(() => request.onerror?.(new Event('error')), 10);
          return request;
        };
      },
    ],
    [
      'open() never completes (blocked by another tab)',
      () => {
        IDBFactory.prototype.open = function () {
          return {} as IDBOpenDBRequest;
        };
      },
    ],
  ];
  for (const [label, breakIt] of broken) {
    test(`ST-03 ${label}: every call ends within seconds, the session lives in memory with a warning`, async ({ page, context, world }) => {
      await setAppOptions(page, world, { storage: 'indexeddb' });
      await context.addInitScript(breakIt);
      const started = Date.now();
      await openApp(page, world);
      expect(Date.now() - started).toBeLessThan(8000);
      expect((await stateOf(page)).status).toBe('anonymous');
      const result = await login(page, world);
      expect(result).toMatchObject({ ok: true, sub: 'alice' });
      expect((await stateOf(page)).status).toBe('authenticated');
      expect(await page.evaluate(() => (window as any).client.getAccessToken())).toBeTruthy();
      expect((await warnings(page)).length).toBeGreaterThan(0);
      for (const warning of await warnings(page)) expect(warning).toMatchObject({ name: 'StorageError' });
      // Not persisted: a reload is signed out, and signing in again recovers.
      await openApp(page, world);
      expect((await stateOf(page)).status).toBe('anonymous');
    });
  }
});
