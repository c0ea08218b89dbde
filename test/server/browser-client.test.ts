// The browser side of session-server mode (src/client/session-server-client.ts) against the real session
// server: its fetch goes to the app over loopback with the cookies a browser would send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, LoginRequiredError, NetworkError, OAuthError } from '../../src/index.js';
import { SessionServerClient } from '../../src/client/session-server-client.js';
import type { AuthState } from '../../src/client/state-hub.js';
import type { CookieJar } from '../support/fetch-login.mjs';
import { call, login, startWorld, type World } from './harness.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  await world.startApp({ tokenRoute: true });
});
afterAll(() => world.close());

/** A client whose requests carry the jar's cookies, as the browser would on the app's origin. */
function clientFor(jar: CookieJar | undefined, options: { base?: string } = {}) {
  const requests: string[] = [];
  const navigations: string[] = [];
  const client = new SessionServerClient({
    sessionServer: options.base ?? '/auth',
    navigate: (url) => void navigations.push(url),
    fetch: async (input, init) => {
      requests.push(String(input));
      const headers = new Headers(init?.headers);
      if (jar) headers.set('cookie', jar.header());
      // A browser adds these to a same-origin fetch; the CSRF check reads them.
      headers.set('origin', world.appOrigin);
      headers.set('sec-fetch-site', 'same-origin');
      const response = await fetch(world.appOrigin + String(input), { ...init, headers, redirect: 'manual' });
      jar?.take(response);
      return response;
    },
  });
  return { client, requests, navigations };
}

function settled(client: SessionServerClient): Promise<AuthState> {
  return new Promise((resolve) => {
    const stop = client.subscribe((state) => {
      if (state.status !== 'loading') {
        queueMicrotask(() => stop());
        resolve(state);
      }
    });
  });
}

describe('the session-server-mode client', () => {
  it('refuses options of the other mode and bad values, naming them', () => {
    expect(() => new SessionServerClient({ sessionServer: '/auth', issuer: 'https://op.test' } as never)).toThrow(ConfigError);
    expect(() => new SessionServerClient({ sessionServer: 'https://evil.test/auth' })).toThrow(expect.objectContaining({ option: 'sessionServer' }));
    expect(() => new SessionServerClient({ sessionServer: '/auth', leewaySeconds: -1 })).toThrow(expect.objectContaining({ option: 'leewaySeconds' }));
  });

  it('is anonymous without a session cookie; getAccessToken then rejects with LoginRequiredError', async () => {
    const { client } = clientFor(undefined);
    expect((await settled(client)).status).toBe('anonymous');
    expect(await client.getUser()).toBeUndefined();
    await expect(client.getAccessToken()).rejects.toBeInstanceOf(LoginRequiredError);
  });

  it('reads the session, caches the access token, shares one request between concurrent callers', async () => {
    const { jar } = await login(world);
    const { client, requests } = clientFor(jar);
    const state = await settled(client);
    expect(state).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
    expect((state as { expiresAt: number }).expiresAt).toBeGreaterThan(Date.now());

    const first = await client.getAccessToken();
    expect(first).toMatch(/\S{20,}/);
    const tokenRequests = () => requests.filter((r) => r.startsWith('/auth/token')).length;
    expect(await client.getAccessToken()).toBe(first);
    expect(tokenRequests()).toBe(1);

    const refreshes = world.provider.count('token', 'refresh_token');
    const forced = await Promise.all(Array.from({ length: 5 }, () => client.getAccessToken({ forceRefresh: true })));
    // One request from the page for the five callers, one refresh at the provider.
    expect(tokenRequests()).toBe(2);
    expect(new Set(forced).size).toBe(1);
    expect(forced[0]).not.toBe(first);
    expect(world.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
  });

  it('logout ends the session on the server, goes to the end-session URL and emits logout', async () => {
    const { jar } = await login(world);
    const { client, navigations } = clientFor(jar);
    await settled(client);
    const events: unknown[] = [];
    client.on('logout', (event) => events.push(event));
    await client.logout();
    expect(client.state.status).toBe('anonymous');
    expect(events).toEqual([{ reason: 'user', remote: false }]);
    expect(new URL(navigations[0] as string).pathname).toBe('/session/end');
    expect((await call(world, jar, '/auth/session')).status).toBe(401);
  });

  it('a logout while the first session check is still in flight ends anonymous: the late answer is out of date', async () => {
    const { jar } = await login(world);
    let first = true;
    const client = new SessionServerClient({
      sessionServer: '/auth',
      navigate: () => undefined,
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set('cookie', jar.header());
        headers.set('origin', world.appOrigin);
        headers.set('sec-fetch-site', 'same-origin');
        // The first session check is answered ("signed in") at once, but reaches the page late.
        const response = await fetch(world.appOrigin + String(input), { ...init, headers, redirect: 'manual' });
        jar.take(response);
        if (String(input).endsWith('/session') && first) {
          first = false;
          await new Promise((r) => setTimeout(r, 300));
        }
        return response;
      },
    });
    // The first read starts the check (GET session), whose answer is still "signed in"; logout starts at once.
    const seen: string[] = [];
    client.subscribe((state) => void seen.push(state.status));
    await client.logout();
    await new Promise((r) => setTimeout(r, 400));
    expect(client.state.status).toBe('anonymous');
    expect(seen.at(-1)).toBe('anonymous');
  });

  it('a session ended elsewhere turns a token request into LoginRequiredError and the state anonymous', async () => {
    const { jar } = await login(world);
    const { client } = clientFor(jar);
    await settled(client);
    await call(world, jar.header(), '/auth/logout', { method: 'POST', csrf: true });
    const events: unknown[] = [];
    client.on('logout', (event) => events.push(event));
    await expect(client.getAccessToken()).rejects.toBeInstanceOf(LoginRequiredError);
    expect(client.state.status).toBe('anonymous');
    expect(events).toHaveLength(1);
  });

  it('a server that cannot be reached is a NetworkError and a warning, not a sign-out; the next call asks again', async () => {
    const { jar } = await login(world);
    let down = true;
    const client = new SessionServerClient({
      sessionServer: '/auth',
      fetch: (input, init) => {
        if (down) return Promise.reject(new TypeError('connection refused'));
        const headers = new Headers(init?.headers);
        headers.set('cookie', jar.header());
        return fetch(world.appOrigin + String(input), { ...init, headers });
      },
    });
    const warnings: unknown[] = [];
    client.on('warning', ({ error }) => warnings.push(error));
    await expect(client.getUser()).rejects.toBeInstanceOf(NetworkError);
    expect(client.state.status).toBe('loading');
    expect(warnings[0]).toBeInstanceOf(NetworkError);
    down = false;
    expect(await client.getUser()).toMatchObject({ sub: 'ada' });
    expect(client.state.status).toBe('authenticated');
  });

  it('handleCallback reports the error the server sent back, and resolves with the user otherwise', async () => {
    const { jar } = await login(world);
    const { client } = clientFor(jar);
    await expect(client.handleCallback('https://rp.test/home?auth_error=access_denied')).rejects.toMatchObject({ name: 'OAuthError', error: 'access_denied' });
    await expect(client.handleCallback('https://rp.test/home?auth_error=access_denied')).rejects.toBeInstanceOf(OAuthError);
    const result = await client.handleCallback('https://rp.test/home?tab=2');
    expect(result).toMatchObject({ user: { sub: 'ada' }, returnTo: '/home?tab=2' });
  });

  it('without the token route, getAccessToken is a ConfigError', async () => {
    const other = await startWorld();
    await other.startApp();
    try {
      const { jar } = await login(other);
      const client = new SessionServerClient({
        sessionServer: '/auth',
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('cookie', jar.header());
          return fetch(other.appOrigin + String(input), { ...init, headers });
        },
      });
      await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'ConfigError', option: 'sessionServer' });
      expect(await client.getUser()).toMatchObject({ sub: 'ada' });
    } finally {
      await other.close();
    }
  });
});
