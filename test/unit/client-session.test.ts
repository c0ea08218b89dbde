import { describe, expect, it } from 'vitest';
import { AuthClient, LoginRequiredError, NetworkError, isAuthError, type AuthState } from '../../src/index.js';
import { setup } from './harness.js';

const SESSION_KEY = 'oidc-session:v1:spa:session';
const stored = (map: Map<string, string>) => JSON.parse(map.get(SESSION_KEY) as string) as Record<string, unknown>;

describe('getAccessToken()', () => {
  it('returns the cached token while fresh, without any request', async () => {
    const { client, signIn, provider, storage } = await setup();
    await signIn();
    const requestsBefore = provider.requests.length;
    const token = await client.getAccessToken();
    expect(token).toBe(stored(storage.map).accessToken);
    expect(await client.getAccessToken()).toBe(token);
    expect(provider.requests.length).toBe(requestsBefore);
  });

  it('rejects with LoginRequiredError when signed out', async () => {
    const { client } = await setup();
    await expect(client.getAccessToken()).rejects.toBeInstanceOf(LoginRequiredError);
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'login_required' });
  });

  it('refreshes once for 20 concurrent callers after expiry, and persists the rotated refresh token', async () => {
    const { client, signIn, provider, storage, clock } = await setup({ accessTokenTtl: 600 });
    await signIn();
    const before = stored(storage.map);
    const refreshes: number[] = [];
    client.on('refresh', (e) => void refreshes.push(e.expiresAt));
    clock.advance(601_000);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.getAccessToken()));
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(before.accessToken);
    const after = stored(storage.map);
    expect(after.accessToken).toBe(tokens[0]);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(provider.liveRefreshTokens.has(after.refreshToken as string)).toBe(true);
    expect(after.idToken).toBe(before.idToken);
    expect(refreshes).toEqual([after.expiresAt]);
    expect(client.state).toMatchObject({ status: 'authenticated', expiresAt: after.expiresAt });
  });

  it('refreshes within the leeway, but a short-lived token only after half its life', async () => {
    const long = await setup({ accessTokenTtl: 600 });
    await long.signIn();
    long.clock.advance(600_000 - 29_000);
    await long.client.getAccessToken();
    expect(long.provider.count('/token', 'refresh_token')).toBe(1);

    const short = await setup({ accessTokenTtl: 10 });
    await short.signIn();
    short.clock.advance(4_000);
    await short.client.getAccessToken();
    expect(short.provider.count('/token', 'refresh_token')).toBe(0);
    short.clock.advance(1_500);
    await short.client.getAccessToken();
    expect(short.provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('keeps the old refresh token when the provider does not rotate it', async () => {
    const { client, signIn, storage, clock, provider } = await setup({ rotateRefreshTokens: false });
    await signIn();
    const before = stored(storage.map);
    clock.advance(3_600_000);
    const token = await client.getAccessToken();
    const after = stored(storage.map);
    expect(token).not.toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('forceRefresh gets a new token even while the cached one is fresh', async () => {
    const { client, signIn, provider } = await setup();
    await signIn();
    const first = await client.getAccessToken();
    const second = await client.getAccessToken({ forceRefresh: true });
    expect(second).not.toBe(first);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('ends the session on invalid_grant: clears storage, emits logout(expired), rejects with LoginRequiredError', async () => {
    const { client, signIn, provider, storage, clock, storedTokens } = await setup();
    await signIn();
    const logouts: string[] = [];
    client.on('logout', (e) => void logouts.push(e.reason));
    provider.liveRefreshTokens.clear();
    clock.advance(3_600_000);
    const error = await client.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect(storage.map.has(SESSION_KEY)).toBe(false);
    expect(storedTokens()).toEqual([]);
    expect(logouts).toEqual(['expired']);
    expect(client.state.status).toBe('anonymous');
    expect(await client.getUser()).toBeUndefined();
  });

  it('keeps the session through a network failure and recovers once the provider is back', async () => {
    const { client, signIn, provider, storage, clock } = await setup();
    await signIn();
    const before = storage.map.get(SESSION_KEY);
    clock.advance(3_600_000);
    provider.hooks.token = () => Promise.reject(new TypeError('Failed to fetch'));
    const error = await client.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(isAuthError(error)).toBe(true);
    expect(storage.map.get(SESSION_KEY)).toBe(before);
    expect(client.state.status).toBe('authenticated');
    delete provider.hooks.token;
    // Backing off: a retry within 4 s fails fast, without a request.
    const attempts = provider.count('/token', 'refresh_token');
    await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'NetworkError' });
    expect(provider.count('/token', 'refresh_token')).toBe(attempts);
    clock.advance(4_000);
    await expect(client.getAccessToken()).resolves.toMatch(/^at-/);
  });

  it('backs off after network failures: at most four attempts in a minute', async () => {
    const { client, signIn, provider, clock } = await setup();
    await signIn();
    clock.advance(3_600_000);
    provider.hooks.token = () => Promise.reject(new TypeError('Failed to fetch'));
    for (let second = 0; second < 60; second++) {
      await client.getAccessToken().catch(() => undefined);
      clock.advance(1_000);
    }
    expect(provider.count('/token', 'refresh_token')).toBe(4);
    expect(client.state.status).toBe('authenticated');
  });

  it('reports a provider that never answers as a timeout NetworkError', async () => {
    const { client, signIn, provider, clock } = await setup({}, { requestTimeoutSeconds: 0.05 });
    await signIn();
    clock.advance(3_600_000);
    provider.hooks.token = () => new Promise<Response>(() => undefined);
    await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'NetworkError', code: 'timeout' });
    expect(client.state.status).toBe('authenticated');
  });

  it('refuses a refreshed ID token for another user and keeps the session', async () => {
    const { client, signIn, provider, storage, clock } = await setup();
    await signIn();
    const before = storage.map.get(SESSION_KEY);
    clock.advance(3_600_000);
    provider.hooks.token = async (body, normal) => {
      const json = (await (await normal()).json()) as Record<string, unknown>;
      return provider.json({ ...json, id_token: await provider.idToken('mallory', undefined) });
    };
    await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_id_token' });
    expect(storage.map.get(SESSION_KEY)).toBe(before);
  });
});

describe('restoring a session', () => {
  it('reaches authenticated from storage synchronously, with zero network requests', async () => {
    const { signIn, makeClient, provider } = await setup();
    await signIn();
    const requestsBefore = provider.requests.length;
    const reloaded = makeClient();
    expect(reloaded.state).toMatchObject({ status: 'authenticated', user: { sub: 'alice' } });
    await reloaded.getAccessToken();
    await reloaded.getUser();
    expect(provider.requests.length).toBe(requestsBefore);
  });

  it('uses cached discovery after a reload, so logout needs no metadata request', async () => {
    const { signIn, makeClient, provider, navigations } = await setup();
    await signIn();
    const reloaded = makeClient();
    await reloaded.logout();
    expect(provider.count('/.well-known/openid-configuration')).toBe(1);
    expect(navigations.at(-1)).toMatch(/^https:\/\/op\.test\/session\/end\?/);
  });

  it.each([
    ['garbage', 'not json'],
    ['a record for another client', JSON.stringify({ v: 1, issuer: 'https://op.test/', clientId: 'other' })],
    ['a record with a numeric token', JSON.stringify({ v: 1, issuer: 'https://op.test/', clientId: 'spa', accessToken: 1 })],
  ])('treats %s in storage as signed out and removes it', async (_, raw) => {
    const { makeClient, storage } = await setup();
    storage.map.set(SESSION_KEY, raw);
    const client = makeClient();
    expect(client.state.status).toBe('anonymous');
    await Promise.resolve();
    expect(storage.map.has(SESSION_KEY)).toBe(false);
  });

  it('waits for an asynchronous storage adapter, passing through loading', async () => {
    const { signIn, storage, provider, clock } = await setup();
    await signIn();
    const asyncAdapter = {
      get: async (k: string) => storage.get(k),
      set: async (k: string, v: string) => storage.set(k, v),
      remove: async (k: string) => storage.remove(k),
      keys: async () => storage.keys(),
    };
    const client = new AuthClient({ issuer: provider.issuer, clientId: 'spa', redirectUri: 'https://rp.test/cb', storage: asyncAdapter, now: clock.now, fetch: provider.fetch });
    const seen: string[] = [];
    client.subscribe((s) => void seen.push(s.status));
    expect(seen).toEqual(['loading']);
    expect(await client.getUser()).toMatchObject({ sub: 'alice' });
    expect(seen).toEqual(['loading', 'authenticated']);
  });

  it('drops an expired session that has no refresh token', async () => {
    const { signIn, makeClient, storage, clock } = await setup();
    await signIn();
    const record = stored(storage.map);
    delete record.refreshToken;
    storage.map.set(SESSION_KEY, JSON.stringify(record));
    clock.advance(3_600_000);
    expect(makeClient().state.status).toBe('anonymous');
  });
});

describe('logout()', () => {
  it('clears tokens and pending logins first, revokes the refresh token, then goes to end-session', async () => {
    const { client, signIn, provider, storage, navigations, storedTokens } = await setup();
    await signIn();
    await client.login(); // a pending login that must not survive logout
    const record = stored(storage.map);
    const events: string[] = [];
    client.on('logout', (e) => void events.push(e.reason));
    await client.logout();
    // Only the logout's own `state` stays, for the page it returns to (see handleRedirect()).
    expect([...storage.map.keys()].filter((k) => !k.endsWith(':discovery'))).toEqual(['oidc-session:v1:spa:logout']);
    expect(storedTokens()).toEqual([]);
    expect(client.state.status).toBe('anonymous');
    expect(events).toEqual(['user']);
    const end = new URL(navigations.at(-1) as string);
    expect(storage.map.get('oidc-session:v1:spa:logout')).toBe(end.searchParams.get('state'));
    expect(end.origin + end.pathname).toBe('https://op.test/session/end');
    expect(end.searchParams.get('id_token_hint')).toBe(record.idToken);
    expect(end.searchParams.get('client_id')).toBe('spa');
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe('https://rp.test/bye');
    await new Promise((r) => setTimeout(r, 10));
    const revocation = provider.requests.find((r) => r.url.endsWith('/token/revocation'));
    expect(revocation?.body?.get('token')).toBe(record.refreshToken);
    expect(provider.liveRefreshTokens.has(record.refreshToken as string)).toBe(false);
  });

  it('goes straight to postLogoutRedirectUri when the provider has no end-session endpoint', async () => {
    const { client, signIn, navigations } = await setup({ endSession: false });
    await signIn();
    await client.logout();
    expect(navigations.at(-1)).toBe('https://rp.test/bye');
  });

  it('accepts only a configured returnTo, falling back to the default otherwise', async () => {
    const { makeClient, navigations, signIn } = await setup({ endSession: false });
    const client = makeClient({ postLogoutRedirectUri: ['https://rp.test/bye', 'https://rp.test/goodbye'] });
    await signIn(client);
    await client.logout({ returnTo: 'https://rp.test/goodbye' });
    expect(navigations.at(-1)).toBe('https://rp.test/goodbye');
    await client.logout({ returnTo: 'https://evil.test/' });
    expect(navigations.at(-1)).toBe('https://rp.test/bye');
  });

  it('still logs out locally and leaves when the provider is unreachable', async () => {
    const { makeClient, signIn, storage, navigations } = await setup();
    const client = makeClient();
    await signIn(client);
    const offline = makeClient({ fetch: () => Promise.reject(new TypeError('offline')) });
    storage.map.delete('oidc-session:v1:spa:discovery');
    await offline.logout();
    expect(storage.map.has(SESSION_KEY)).toBe(false);
    expect(navigations.at(-1)).toBe('https://rp.test/bye');
  });
});

describe('state and events', () => {
  it('calls a subscriber immediately and on every change, and stops after unsubscribe', async () => {
    const { client, signIn } = await setup();
    const seen: Array<[string, string]> = [];
    const unsubscribe = client.subscribe((s: AuthState, prev: AuthState) => void seen.push([s.status, prev.status]));
    await signIn();
    unsubscribe();
    await client.logout();
    expect(seen).toEqual([
      ['anonymous', 'anonymous'],
      ['authenticated', 'anonymous'],
    ]);
  });

  it('returns the same snapshot object until the state changes (useSyncExternalStore contract)', async () => {
    const { client, signIn } = await setup();
    const a = client.state;
    expect(client.state).toBe(a);
    await signIn();
    const b = client.state;
    expect(b).not.toBe(a);
    expect(client.state).toBe(b);
    expect(Object.isFrozen(b)).toBe(true);
  });

  it('survives a throwing listener: the others still run and the flow completes', async () => {
    const { client, signIn } = await setup();
    const reported: unknown[] = [];
    const original = globalThis.reportError;
    globalThis.reportError = (e: unknown) => void reported.push(e);
    try {
      const calls: string[] = [];
      client.subscribe(() => {
        throw new Error('app bug');
      });
      client.on('login', () => {
        throw new Error('app bug in event');
      });
      client.on('login', (e) => void calls.push(e.user.sub));
      await expect(signIn()).resolves.toBeDefined();
      expect(calls).toEqual(['alice']);
      expect(reported.length).toBe(3);
    } finally {
      globalThis.reportError = original;
    }
  });
});
