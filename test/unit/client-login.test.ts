import { describe, expect, it } from 'vitest';
import { ConfigError, OAuthError, ProtocolError, type AuthState } from '../../src/index.js';
import { setup } from './harness.js';

describe('login()', () => {
  it('sends an S256 PKCE request with state and nonce, and saves one transaction keyed by state', async () => {
    const { client, navigations, storage } = await setup();
    await client.login();
    const url = new URL(navigations[0] as string);
    expect(url.origin + url.pathname).toBe('https://op.test/authorize');
    const p = url.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe('spa');
    expect(p.get('redirect_uri')).toBe('https://rp.test/cb');
    expect(p.get('scope')).toBe('openid profile email');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keys = [...storage.map.keys()].filter((k) => k.includes(':txn:'));
    expect(keys).toEqual([`oidc-session:v1:spa:txn:${p.get('state')}`]);
  });

  it('keeps two pending logins apart and completes each with its own verifier and nonce', async () => {
    const { client, navigations, provider } = await setup();
    await client.login({ returnTo: '/first' });
    await client.login({ returnTo: '/second' });
    const [first, second] = navigations as [string, string];
    expect(new URL(first).searchParams.get('state')).not.toBe(new URL(second).searchParams.get('state'));
    const resultA = await client.handleCallback(provider.authorize(first, 'ann'));
    expect(resultA.returnTo).toBe('/first');
    expect(resultA.user.sub).toBe('ann');
    const resultB = await client.handleCallback(provider.authorize(second, 'bob'));
    expect(resultB.returnTo).toBe('/second');
    expect(resultB.user.sub).toBe('bob');
  });

  it('adds configured and per-call authorization parameters but refuses to override its own', async () => {
    const { makeClient, navigations } = await setup();
    const client = makeClient({ authorizationParams: { audience: 'api' } });
    await client.login({ params: { prompt: 'login', max_age: '60' } });
    const p = new URL(navigations[0] as string).searchParams;
    expect(p.get('audience')).toBe('api');
    expect(p.get('prompt')).toBe('login');
    await expect(client.login({ params: { state: 'mine' } })).rejects.toThrow(ConfigError);
    await expect(client.login({ params: { code_challenge_method: 'plain' } })).rejects.toMatchObject({ option: 'params' });
  });

  it.each(['https://evil.test/', '//evil.test', '/\\evil.test', '/\t/evil.test', 'https:evil.test', 'javascript:alert(1)'])(
    'rejects returnTo %j before any navigation',
    async (returnTo) => {
      const { client, navigations, storage } = await setup();
      await expect(client.login({ returnTo })).rejects.toMatchObject({ code: 'invalid_config', option: 'returnTo' });
      expect(navigations).toEqual([]);
      expect(storage.map.size).toBe(0);
    },
  );

  it('never sends a plain PKCE challenge even when the metadata offers only plain', async () => {
    const { client, navigations, provider } = await setup();
    provider.hooks.discovery = (normal) => {
      return normal()
        .json()
        .then((m) => provider.json({ ...m, code_challenge_methods_supported: ['plain'] }));
    };
    await client.login();
    expect(new URL(navigations[0] as string).searchParams.get('code_challenge_method')).toBe('S256');
  });
});

describe('handleCallback()', () => {
  it('signs the user in, stores one record, emits login and reports returnTo', async () => {
    const { client, signIn, storage } = await setup();
    const states: AuthState[] = [];
    client.subscribe((s) => void states.push(s));
    const logins: string[] = [];
    client.on('login', (e) => void logins.push(e.user.sub));
    const { result } = await signIn();
    expect(result.returnTo).toBe('/after');
    expect(result.user).toMatchObject({ sub: 'alice', name: 'User alice', iss: 'https://op.test' });
    expect(client.state).toMatchObject({ status: 'authenticated', user: { sub: 'alice' } });
    expect(states.map((s) => s.status)).toEqual(['anonymous', 'authenticated']);
    expect(logins).toEqual(['alice']);
    expect(await client.getUser()).toMatchObject({ sub: 'alice' });
    expect([...storage.map.keys()].filter((k) => k.includes(':txn:'))).toEqual([]);
    expect(storage.map.has('oidc-session:v1:spa:session')).toBe(true);
  });

  it('turns ?error=access_denied into an OAuthError and stores nothing', async () => {
    const { client, navigations, provider, storedTokens } = await setup();
    await client.login();
    const state = new URL(navigations[0] as string).searchParams.get('state') as string;
    const url = `https://rp.test/cb?error=access_denied&error_description=User+cancelled&state=${state}&iss=https%3A%2F%2Fop.test`;
    const error = await client.handleCallback(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: 'oauth_error', error: 'access_denied', description: 'User cancelled' });
    expect(provider.count('/token')).toBe(0);
    expect(storedTokens()).toEqual([]);
    expect(client.state.status).toBe('anonymous');
  });

  it('rejects a tampered state with state_mismatch, redeems nothing, and leaves the real login usable', async () => {
    const { client, navigations, provider, storedTokens } = await setup();
    await client.login();
    const genuine = provider.authorize(navigations[0] as string);
    const tampered = new URL(genuine);
    tampered.searchParams.set('state', 'forged-state-value');
    await expect(client.handleCallback(tampered.href)).rejects.toMatchObject({ name: 'ProtocolError', code: 'state_mismatch' });
    expect(provider.count('/token')).toBe(0);
    expect(storedTokens()).toEqual([]);
    await expect(client.handleCallback(genuine)).resolves.toMatchObject({ user: { sub: 'alice' } });
  });

  it('rejects a callback without state, and an unsolicited one, before any token request', async () => {
    const { client, provider } = await setup();
    await expect(client.handleCallback('https://rp.test/cb?code=abc&iss=https%3A%2F%2Fop.test')).rejects.toMatchObject({ code: 'state_missing' });
    await expect(client.handleCallback('https://rp.test/cb?code=abc&state=xyz')).rejects.toMatchObject({ code: 'transaction_not_found' });
    expect(provider.count('/token')).toBe(0);
  });

  it('refuses a replayed callback (a reload, a new page) without touching the live session', async () => {
    const { signIn, provider, storage, makeClient } = await setup();
    const { callback } = await signIn();
    const before = storage.map.get('oidc-session:v1:spa:session');
    const page = makeClient();
    await expect(page.handleCallback(callback)).rejects.toMatchObject({ code: 'transaction_not_found' });
    expect(provider.count('/token', 'authorization_code')).toBe(1);
    expect(storage.map.get('oidc-session:v1:spa:session')).toBe(before);
    expect(page.state.status).toBe('authenticated');
  });

  it('handles the same callback twice on one page with the same promise, redeeming it once (StrictMode)', async () => {
    const { client, navigations, provider } = await setup();
    await client.login();
    const callback = provider.authorize(navigations[0] as string);
    const first = client.handleCallback(callback);
    const second = client.handleCallback(callback);
    const asRedirect = client.handleRedirect(callback);
    expect(second).toBe(first);
    expect(asRedirect).toBe(first);
    await expect(first).resolves.toMatchObject({ kind: 'login', user: { sub: 'alice' } });
    expect(client.handleCallback(callback)).toBe(first);
    expect(provider.count('/token', 'authorization_code')).toBe(1);
  });

  it('reads only the query: a fragment-only response is refused', async () => {
    const { client, navigations, provider } = await setup();
    await client.login();
    const callback = new URL(provider.authorize(navigations[0] as string));
    const fragmentOnly = `https://rp.test/cb#${callback.searchParams.toString()}`;
    await expect(client.handleCallback(fragmentOnly)).rejects.toMatchObject({ code: 'state_missing' });
    expect(provider.count('/token')).toBe(0);
  });

  it.each([
    ['a foreign issuer', 'https://evil.test'],
    ['a trailing slash', 'https://op.test/'],
    ['a different case', 'https://OP.test'],
  ])('rejects iss of %s as issuer_mismatch (RFC 9207)', async (_, iss) => {
    const { client, navigations, provider, storedTokens } = await setup();
    await client.login();
    const callback = new URL(provider.authorize(navigations[0] as string));
    callback.searchParams.set('iss', iss);
    await expect(client.handleCallback(callback.href)).rejects.toMatchObject({ name: 'ProtocolError', code: 'issuer_mismatch' });
    expect(provider.count('/token')).toBe(0);
    expect(storedTokens()).toEqual([]);
  });

  it('rejects a missing iss when the provider advertises it, accepts it when not', async () => {
    const strict = await setup();
    await strict.client.login();
    const noIss = new URL(strict.provider.authorize(strict.navigations[0] as string));
    noIss.searchParams.delete('iss');
    await expect(strict.client.handleCallback(noIss.href)).rejects.toMatchObject({ code: 'issuer_mismatch' });

    const lax = await setup({ issParameterSupported: false });
    await lax.client.login();
    const laxUrl = new URL(lax.provider.authorize(lax.navigations[0] as string));
    laxUrl.searchParams.delete('iss');
    await expect(lax.client.handleCallback(laxUrl.href)).resolves.toMatchObject({ user: { sub: 'alice' } });
  });

  it.each([
    ['a wrong nonce', (c: Record<string, unknown>) => ({ ...c, nonce: 'attacker' })],
    ['no nonce', ({ nonce: _n, ...c }: Record<string, unknown>) => c],
    ['a foreign audience', (c: Record<string, unknown>) => ({ ...c, aud: 'other-client' })],
    ['a foreign issuer', (c: Record<string, unknown>) => ({ ...c, iss: 'https://evil.test' })],
    ['an expired token', (c: Record<string, unknown>) => ({ ...c, exp: (c.iat as number) - 120 })],
    ['extra untrusted audiences', (c: Record<string, unknown>) => ({ ...c, aud: ['spa', 'untrusted'] })],
  ])('rejects an ID token with %s and stores none of the response', async (_, tamper) => {
    const { client, signIn, provider, storedTokens } = await setup();
    provider.hooks.idTokenClaims = tamper;
    const error = await signIn().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'invalid_id_token' });
    expect(storedTokens()).toEqual([]);
    expect(client.state.status).toBe('anonymous');
  });

  it('rejects a token response without an ID token', async () => {
    const { signIn, provider, storedTokens } = await setup();
    provider.hooks.token = async (_body, normal) => {
      const { id_token: _dropped, ...rest } = (await (await normal()).json()) as Record<string, unknown>;
      return provider.json(rest);
    };
    await expect(signIn()).rejects.toMatchObject({ name: 'ProtocolError' });
    expect(storedTokens()).toEqual([]);
  });

  it.each([
    ['HTML', () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } })],
    ['a JSON array', () => new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } })],
    ['truncated JSON', () => new Response('{"access_token":', { status: 200, headers: { 'content-type': 'application/json' } })],
    ['a numeric access token', () => new Response('{"access_token":123,"token_type":"Bearer"}', { status: 200, headers: { 'content-type': 'application/json' } })],
    ['a redirect', () => new Response(null, { status: 302, headers: { location: 'https://evil.test/steal' } })],
  ])('rejects a token response that is %s with a ProtocolError', async (_, respond) => {
    const { signIn, provider, storedTokens } = await setup();
    provider.hooks.token = () => respond();
    await expect(signIn()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_token_response' });
    expect(storedTokens()).toEqual([]);
  });

  it('reports a network failure at the token endpoint as NetworkError', async () => {
    const { signIn, provider } = await setup();
    provider.hooks.token = () => Promise.reject(new TypeError('Failed to fetch'));
    await expect(signIn()).rejects.toMatchObject({ name: 'NetworkError', code: 'network_error' });
  });

  it('never puts a code, state, verifier or token in an error message', async () => {
    const { client, navigations, provider } = await setup();
    await client.login();
    const callback = new URL(provider.authorize(navigations[0] as string));
    const secrets = [callback.searchParams.get('code'), callback.searchParams.get('state')] as string[];
    provider.hooks.idTokenClaims = (c) => ({ ...c, nonce: 'attacker' });
    const error = (await client.handleCallback(callback.href).catch((e: unknown) => e)) as Error;
    for (const secret of [...secrets, callback.href]) expect(error.message).not.toContain(secret);
    const replay = (await client.handleCallback(callback.href).catch((e: unknown) => e)) as Error;
    for (const secret of [...secrets, callback.href]) expect(replay.message).not.toContain(secret);
  });
});
