// Server-side rendering: the clients are imported and constructed on the server (Node, no window),
// the state is read for the first render, and any call that needs the browser gets one typed error.
import { describe, expect, it, vi } from 'vitest';
import { AuthClient } from '../../src/index.js';
import { AuthClient as ServerModeClient } from '../../src/server-mode.js';
import { capacitorSecureStorage, extensionStorage, isCallbackUrl, webAuthFlow } from '../../src/native/index.js';
import { handlePopupCallback, loginWithPopup } from '../../src/popup/index.js';
import { handleSilentCallback, signInSilently } from '../../src/silent/index.js';

const options = { issuer: 'https://op.test', clientId: 'spa', redirectUri: 'https://rp.test/cb' };
const browserRequired = { name: 'AuthError', code: 'browser_required', message: expect.stringContaining('needs a browser') };

describe.each([
  ['AuthClient', () => new AuthClient(options)],
  ['session-server mode', () => new ServerModeClient({ sessionServer: '/auth' })],
])('%s on the server', (_, create) => {
  it('says "loading" (the browser decides), the same object every time, without warnings or requests', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch');
    const client = create();
    const warnings: unknown[] = [];
    client.on('warning', (event) => void warnings.push(event));
    const seen: unknown[] = [];
    client.subscribe((state) => void seen.push(state));
    expect(client.state).toEqual({ status: 'loading' });
    expect(client.state).toBe(client.state);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([{ status: 'loading' }]);
    expect(warnings).toEqual([]);
    expect(fetch).not.toHaveBeenCalled();
    fetch.mockRestore();
  });

  it.each(['login', 'logout', 'getUser', 'getAccessToken', 'handleRedirect', 'handleCallback'] as const)(
    '%s() rejects with AuthError browser_required, saying it needs a browser',
    async (method) => {
      const client = create() as unknown as Record<string, () => Promise<unknown>>;
      const call = client[method] as () => Promise<unknown>;
      await expect(call.call(client)).rejects.toMatchObject(browserRequired);
    },
  );
});

/** What a call did: threw at once, or returned a promise and how it settled. */
async function outcome(call: () => unknown): Promise<unknown> {
  let returned: unknown;
  try {
    returned = call();
  } catch (error) {
    return { threw: error };
  }
  expect(returned).toBeInstanceOf(Promise);
  return (returned as Promise<unknown>).then((value) => ({ resolved: value }), (error: unknown) => ({ rejected: error }));
}

// A client that runs here (the app gave it storage, as a Node script may): only the feature can tell.
const runningClient = () => ({
  login: vi.fn(async (options: { navigate: (url: string) => Promise<string> }) => {
    await options.navigate('https://op.test/authorize?state=s1&redirect_uri=https%3A%2F%2Frp.test%2Fcb');
    return { kind: 'login' } as never;
  }),
  getUser: vi.fn(async () => undefined),
});

describe('the feature entries on the server', () => {
  it.each([
    ['the core client', () => new AuthClient(options)],
    ['a client that runs here', runningClient],
  ])('loginWithPopup() with %s returns a promise rejecting with browser_required, never a throw', async (_, create) => {
    const client = create();
    expect(await outcome(() => loginWithPopup(client))).toEqual({ rejected: expect.objectContaining(browserRequired) });
    expect(await outcome(() => loginWithPopup(client, { popup: { closed: false, close: vi.fn() } as unknown as Window }))).toEqual({
      rejected: expect.objectContaining(browserRequired),
    });
    if (vi.isMockFunction(client.login)) expect(client.login).not.toHaveBeenCalled();
  });

  it.each([
    ['the core client', () => new AuthClient(options)],
    ['a client that runs here', runningClient],
  ])('signInSilently() with %s rejects with browser_required, never a throw', async (_, create) => {
    const client = create();
    expect(await outcome(() => signInSilently(client))).toEqual({ rejected: expect.objectContaining(browserRequired) });
    if (vi.isMockFunction(client.login)) expect(client.login).not.toHaveBeenCalled();
  });

  it('the callback pages say "not a callback" (false) rather than throw, so the app renders on', () => {
    expect(handlePopupCallback()).toBe(false);
    expect(handleSilentCallback()).toBe(false);
  });

  it('the native helpers: isCallbackUrl() is plain URL logic and answers here; webAuthFlow() and the storage adapters construct, and fail on use with typed errors', async () => {
    expect(isCallbackUrl('https://rp.test/cb?code=c&state=s', 'https://rp.test/cb')).toBe(true);
    expect(isCallbackUrl('https://rp.test/other?code=c&state=s', 'https://rp.test/cb')).toBe(false);
    // Built at import time in an extension's client module, which a test or a prerender may load here.
    const navigate = webAuthFlow();
    await expect(new AuthClient({ ...options, navigate }).login()).rejects.toMatchObject(browserRequired);
    expect(await outcome(() => navigate('https://op.test/authorize'))).toEqual({
      rejected: expect.objectContaining({ name: 'ConfigError', code: 'invalid_config', message: expect.stringContaining('chrome.identity is not available') }),
    });
    // Capacitor's plugin proxies reject every call where there is no native side.
    const absent = () => Promise.reject(new Error('"SecureStorage" plugin is not implemented on web'));
    const plugin = { getItem: absent, setItem: absent, removeItem: absent, keys: absent };
    for (const storage of [extensionStorage(), capacitorSecureStorage(plugin)]) {
      const client = new AuthClient({ ...options, storage });
      const warnings: unknown[] = [];
      client.on('warning', ({ error }) => void warnings.push(error));
      await expect(client.getUser()).resolves.toBeUndefined();
      expect(warnings).toEqual([expect.objectContaining({ name: 'StorageError', code: 'storage_unavailable' })]);
    }
  });
});
