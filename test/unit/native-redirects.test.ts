// Redirect URIs of native, desktop and extension apps (RFC 8252 §7) and the seam that opens the
// provider's page outside the web page: what the core accepts, refuses and does with the URL the
// seam brings back. The flows end to end: test/native-apps/ and test/extension/.
import { describe, expect, it } from 'vitest';
import { AuthClient, ConfigError, type AuthClientOptions } from '../../src/index.js';
import { isCallbackUrl } from '../../src/native/index.js';
import { setup } from './harness.js';

const base: AuthClientOptions = { issuer: 'https://op.test', clientId: 'app', redirectUri: 'https://rp.test/cb' };
const configError = (options: Partial<AuthClientOptions>) => {
  try {
    new AuthClient({ ...base, ...options });
    return undefined;
  } catch (error) {
    return error instanceof ConfigError ? error.option : error;
  }
};

describe('redirect URIs (RFC 8252 §7)', () => {
  it.each([
    'com.example.app:/callback', // §7.1, the form it recommends: one slash
    'com.example.app:/oauth2redirect/example-provider',
    'com.example.app://callback', // with an authority, as some providers' quick starts register
    'io.github.example-app:/cb',
    'https://app.example.com/callback', // §7.2, a claimed https URL
    'http://127.0.0.1/callback', // §7.3, loopback; the port is chosen per login
    'http://[::1]:8123/callback',
  ])('RFC 8252 §7: accepts %s', (redirectUri) => {
    expect(configError({ redirectUri, postLogoutRedirectUri: redirectUri })).toBeUndefined();
  });

  it.each([
    'myapp:/callback', // §7.1: a private-use scheme MUST be a reverse domain name, a bare word can be claimed by any app
    'myapp://callback',
    'exp:/callback',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///callback',
    'blob:https://rp.test/1',
    'about:blank',
    'vbscript:msgbox',
    'chrome-extension://abcdefghijklmnop/cb', // extensions redirect to https://<id>.chromiumapp.org/
    'ms-app://s-1-15-2/',
    'http://rp.example/cb', // plain http off loopback
    '/callback',
  ])('RFC 8252 §7.1: refuses %s, naming the option, with the rule in the message', (redirectUri) => {
    expect(configError({ redirectUri })).toBe('redirectUri');
    expect(configError({ postLogoutRedirectUri: redirectUri })).toBe('postLogoutRedirectUri');
    expect(() => new AuthClient({ ...base, redirectUri })).toThrow(/com\.example\.app:\/path/);
  });

  it('RFC 8252 §8.5: a public client, a distributed app holds no secret: clientSecret is an unknown option', () => {
    expect(configError({ clientSecret: 'shipped-in-the-app' } as never)).toBe('clientSecret');
    expect(configError({ client_secret: 'shipped-in-the-app' } as never)).toBe('client_secret');
  });

  it('with a private-use scheme: logout returns to the redirect URI unless told otherwise, returnTo is an app path', async () => {
    const { makeClient, navigations, provider } = await setup();
    const client = makeClient({ redirectUri: 'com.example.app:/callback', postLogoutRedirectUri: undefined as unknown as string });
    await client.login({ returnTo: '/settings?tab=2' });
    const result = await client.handleCallback(provider.authorize(navigations[0] as string));
    expect(result.returnTo).toBe('/settings?tab=2');
    await expect(client.login({ returnTo: 'https://evil.test/' })).rejects.toMatchObject({ option: 'returnTo' });
    await client.logout();
    expect(new URL(navigations.at(-1) as string).searchParams.get('post_logout_redirect_uri')).toBe('com.example.app:/callback');
  });
});

describe('isCallbackUrl(url, redirectUri)', () => {
  const redirect = 'com.example.app:/callback';
  it.each([
    [`${redirect}?state=s&code=c`, true],
    [`${redirect}?code=c&state=s&iss=x`, true],
    [`${redirect}?state=s&error=access_denied`, true],
    [new URL(`${redirect}?state=s&code=c`), true],
    [`${redirect}?code=c`, false], // no state
    [`${redirect}?state=s`, false], // a logout return
    ['com.example.app:/other?state=s&code=c', false],
    ['com.example.app:/callback/x?state=s&code=c', false],
    ['com.example.evil:/callback?state=s&code=c', false],
    ['com.example.app://callback?state=s&code=c', false], // "callback" is a host there, not the path
    ['https://rp.test/callback?state=s&code=c', false],
    ['not a url', false],
    ['', false],
  ])('%s → %s', (url, expected) => {
    expect(isCallbackUrl(url, redirect)).toBe(expected);
  });

  it('compares scheme and host case-insensitively, as URLs do, and the path exactly', () => {
    expect(isCallbackUrl('HTTPS://RP.TEST/cb?state=s&code=c', 'https://rp.test/cb')).toBe(true);
    expect(isCallbackUrl('https://rp.test/CB?state=s&code=c', 'https://rp.test/cb')).toBe(false);
    expect(isCallbackUrl('https://rp.test/cb?state=s&code=c', 'not a url')).toBe(false);
  });
});

describe('login() and logout() through navigate', () => {
  it('a per-login redirect URI (a loopback port) is sent, redeemed with, and the only place the callback is accepted', async () => {
    const { makeClient, navigations, provider } = await setup();
    const client = makeClient({ redirectUri: 'http://127.0.0.1/callback' });
    await client.login({ redirectUri: 'http://127.0.0.1:53123/callback' });
    const authorization = new URL(navigations[0] as string);
    expect(authorization.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:53123/callback');
    const callback = new URL(provider.authorize(authorization.href));
    // The same response at the configured URI (another port) is not this login's answer.
    const elsewhere = `http://127.0.0.1/callback${callback.search}`;
    await expect(client.handleCallback(elsewhere)).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_callback' });
    expect(client.state.status).toBe('anonymous');

    await client.login({ redirectUri: 'http://127.0.0.1:53124/callback' });
    const result = await client.handleCallback(provider.authorize(navigations[1] as string));
    expect(result.user.sub).toBe('alice');
    // The fake provider refuses a token request whose redirect_uri differs from the authorization's.
    expect(client.state.status).toBe('authenticated');
  });

  it.each([
    [{ redirectUri: 'myapp:/callback' }, 'redirectUri'],
    [{ redirectUri: 'http://evil.example/cb' }, 'redirectUri'],
    [{ redirectUri: 42 }, 'redirectUri'],
    [{ navigate: 'location.assign' }, 'navigate'],
  ])('login(%j) is refused before anything is stored or opened', async (options, option) => {
    const { client, navigations, storage } = await setup();
    await expect(client.login(options as never)).rejects.toMatchObject({ name: 'ConfigError', option });
    expect(navigations).toEqual([]);
    expect(storage.map.size).toBe(0);
  });

  it('when navigate brings the callback URL back, login() completes the login itself', async () => {
    const { client, provider, storage } = await setup();
    const opened: string[] = [];
    const result = await client.login({
      returnTo: '/after',
      navigate: async (url) => {
        opened.push(url);
        return new URL(provider.authorize(url, 'ada'));
      },
    });
    expect(result).toMatchObject({ kind: 'login', user: { sub: 'ada' }, returnTo: '/after' });
    expect(opened).toHaveLength(1);
    expect(client.state.status).toBe('authenticated');
    expect([...storage.map.keys()].filter((key) => key.includes(':txn:'))).toEqual([]);
  });

  it('a cold start from a deep link (the app was killed mid-login): loading, never anonymous, until the link is redeemed', async () => {
    const { client, makeClient, provider, navigations } = await setup({}, { redirectUri: 'com.example.app:/cb' });
    await client.login();
    const link = provider.authorize(navigations.at(-1) as string, 'ada');
    expect(link).toMatch(/^com\.example\.app:\/cb\?/);
    client.dispose();
    const restarted = makeClient();
    // The app hands the link over first thing, before it renders (docs/native.md).
    const result = restarted.handleRedirect(link);
    const states: string[] = [];
    restarted.subscribe((state) => void states.push(state.status));
    await expect(result).resolves.toMatchObject({ kind: 'login', user: { sub: 'ada' } });
    expect(states).toEqual(['loading', 'authenticated']);
  });

  it('a deep link that is no callback leaves the start as it was: anonymous once storage is read', async () => {
    const { makeClient } = await setup({}, { redirectUri: 'com.example.app:/cb' });
    const restarted = makeClient();
    const result = restarted.handleRedirect('com.example.app:/settings');
    const states: string[] = [];
    restarted.subscribe((state) => void states.push(state.status));
    await expect(result).resolves.toEqual({ kind: 'none' });
    expect(states).toEqual(['anonymous']);
  });

  it('a full-page redirect (navigate returns nothing) resolves login() with undefined', async () => {
    const { client } = await setup();
    await expect(client.login()).resolves.toBeUndefined();
  });

  it('a callback navigate brings back from elsewhere is refused like any foreign one', async () => {
    const { client, provider } = await setup();
    const login = client.login({ navigate: async (url) => provider.authorize(url).replace('https://rp.test/cb', 'https://rp.test/other') });
    await expect(login).rejects.toMatchObject({ code: 'invalid_callback' });
    expect(client.state.status).toBe('anonymous');
  });

  it('a navigate that fails (the user closed the window) rejects login() with its error, stores no session and leaves no pending login', async () => {
    const { client, storedTokens, storage, makeClient } = await setup();
    const closed = new Error('The user did not approve access.');
    // Another login in flight (a second popup) keeps its own.
    const other = makeClient();
    await other.login();
    const pending = () => [...storage.map.keys()].filter((key) => key.includes(':txn:'));
    expect(pending()).toHaveLength(1);
    await expect(client.login({ navigate: async () => Promise.reject(closed) })).rejects.toBe(closed);
    expect(storedTokens()).toEqual([]);
    expect(pending()).toHaveLength(1);
  });

  it('logout({ navigate }) replaces the opener for this logout: a no-op makes it local', async () => {
    const { client, navigations, signIn, storedTokens } = await setup();
    await signIn();
    const ended: string[] = [];
    await client.logout({ navigate: (url) => void ended.push(url) });
    expect(navigations).toHaveLength(1); // the login's only
    expect(ended).toHaveLength(1);
    expect(client.state.status).toBe('anonymous');
    expect(storedTokens()).toEqual([]);
  });

  it('logout({ navigate: not a function }) is refused before the session is touched', async () => {
    const { client, signIn } = await setup();
    await signIn();
    await expect(client.logout({ navigate: 'x' as never })).rejects.toMatchObject({ name: 'ConfigError', option: 'navigate' });
    expect(client.state.status).toBe('authenticated');
  });

  it('logout() waits for navigate, so an extension\'s auth flow or an in-app tab has closed when it settles', async () => {
    const { client, signIn } = await setup();
    await signIn();
    let finished = false;
    await client.logout({
      navigate: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        finished = true;
      },
    });
    expect(finished).toBe(true);
  });
});
