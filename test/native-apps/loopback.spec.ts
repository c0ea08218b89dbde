// A desktop or CLI app in Node (RFC 8252 §7.3): the SDK as the package ships it, a loopback listener
// on a random port for each login, and a browser context as the user's system browser. The test's
// Node process is the desktop app.
import type { Page } from '@playwright/test';
import { AuthClient, type StorageAdapter } from '../../dist/index.js';
import { loopbackLogin } from '../../dist/loopback.js';
import { LOOPBACK_REDIRECT, NATIVE_CLIENT_ID, expect, test } from './fixtures.js';

/** The desktop app's store: a Map stands in for the keychain or a 0600 file. */
function desktopStore(): StorageAdapter & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: (key) => map.get(key), set: (key, value) => void map.set(key, value), remove: (key) => void map.delete(key), keys: () => [...map.keys()] };
}

/**
 * What the user does in the system browser once the app opened the provider's page: signs in at the
 * form, or, when the browser already has a session at the provider, is sent straight back.
 */
async function signInThere(browser: Page, url: string) {
  await browser.goto(url);
  if (new URL(browser.url()).hostname !== '127.0.0.1') {
    await browser.fill('input[name=login]', 'ada');
    await browser.click('button.primary');
  }
  await browser.waitForURL((landed) => landed.hostname === '127.0.0.1');
}

test.describe('a desktop app with a loopback redirect URI', () => {
  test('signs in through the system browser: a per-login port, the callback accepted once, the listener closed', async ({ stack, systemBrowser }) => {
    const storage = desktopStore();
    const app = new AuthClient({ issuer: stack.provider.issuer, clientId: NATIVE_CLIENT_ID, redirectUri: LOOPBACK_REDIRECT, storage });
    const opened: string[] = [];
    const result = await loopbackLogin(app, { open: (url) => (opened.push(url), signInThere(systemBrowser, url)), returnTo: '/done' });

    expect(result).toMatchObject({ kind: 'login', user: { sub: 'ada' }, returnTo: '/done' });
    expect(app.state.status).toBe('authenticated');
    expect((await app.getAccessToken()).length).toBeGreaterThan(10);
    const redirect = new URL(new URL(opened[0] as string).searchParams.get('redirect_uri') as string);
    expect(redirect.hostname).toBe('127.0.0.1');
    expect(Number(redirect.port)).toBeGreaterThan(0);
    expect(redirect.pathname).toBe('/callback');
    // The browser was shown the listener's page, then the listener went away.
    await expect(systemBrowser.locator('body')).toContainText(/close this window/i);
    await expect(fetch(redirect.href)).rejects.toThrow();
    expect([...storage.map.keys()].some((key) => key.endsWith(':session'))).toBe(true);
    app.dispose();
  });

  test('every login gets its own port, and the provider accepts each (RFC 8252 §7.3: any port)', async ({ stack, systemBrowser }) => {
    const app = new AuthClient({ issuer: stack.provider.issuer, clientId: NATIVE_CLIENT_ID, redirectUri: LOOPBACK_REDIRECT, storage: desktopStore() });
    const ports: string[] = [];
    for (let i = 0; i < 2; i++) {
      // loopbackLogin() settles on the callback without waiting for open(); the browser's steps are
      // awaited too, so none is still running when the test closes the browser.
      let browsing: Promise<void> = Promise.resolve();
      const result = await loopbackLogin(app, {
        open: (url) => {
          ports.push(new URL(new URL(url).searchParams.get('redirect_uri') as string).port);
          return (browsing = signInThere(systemBrowser, url));
        },
      });
      await browsing;
      expect(result).toMatchObject({ kind: 'login', user: { sub: 'ada' } });
    }
    expect(new Set(ports).size).toBe(2);
    app.dispose();
  });

  test('a request from another program to the port (a second client probing it) does not end the login', async ({ stack, systemBrowser }) => {
    const app = new AuthClient({ issuer: stack.provider.issuer, clientId: NATIVE_CLIENT_ID, redirectUri: LOOPBACK_REDIRECT, storage: desktopStore() });
    const probes: number[] = [];
    let browsing: Promise<void> = Promise.resolve();
    const result = await loopbackLogin(app, {
      open: (url) =>
        (browsing = (async () => {
          const redirect = new URL(new URL(url).searchParams.get('redirect_uri') as string);
          // Another local program sends a forged response with its own state and code first.
          probes.push((await fetch(`${redirect.href}?state=someone-else&code=forged`)).status);
          await signInThere(systemBrowser, url);
        })()),
    });
    await browsing;
    expect(probes).toEqual([400]);
    expect(result).toMatchObject({ kind: 'login', user: { sub: 'ada' } });
    app.dispose();
  });

  test('the user never finishes: the login times out, the port is closed, nothing stored', async ({ stack }) => {
    const storage = desktopStore();
    const app = new AuthClient({ issuer: stack.provider.issuer, clientId: NATIVE_CLIENT_ID, redirectUri: LOOPBACK_REDIRECT, storage });
    let redirect = '';
    const login = loopbackLogin(app, { open: (url) => void (redirect = new URL(url).searchParams.get('redirect_uri') as string), timeoutMs: 500 });
    await expect(login).rejects.toMatchObject({ name: 'LoopbackError', code: 'timeout' });
    await expect(fetch(redirect)).rejects.toThrow();
    expect([...storage.map.keys()].some((key) => key.endsWith(':session'))).toBe(false);
    app.dispose();
  });
});
