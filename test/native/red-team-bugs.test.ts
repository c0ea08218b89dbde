// Red-team findings against the native-app features that are bugs in src/: each test states what
// should hold and fails until the fix described with it lands. See the report in the task notes.
import { describe, expect, it } from 'vitest';
import { AuthClient, ConfigError } from '../../src/index.js';
import { setup } from '../unit/harness.js';

const pendingLogins = (map: Map<string, string>) => [...map.keys()].filter((key) => key.includes(':txn:'));

describe('a response at another redirect URI costs the pending login nothing', () => {
  // #redeem takes (reads and deletes) the transaction for `state`, and only then checks that the
  // response arrived at its redirect URI: a link carrying the right state at another path, scheme,
  // port or host destroys the login, although it is "not this login's answer" (client.ts). The fix:
  // check the redirect URI before the transaction is deleted.
  it.each([
    ['another path of the scheme', (good: string) => good.replace('com.example.app:/callback', 'com.example.app:/other')],
    ['another scheme', (good: string) => good.replace('com.example.app:/callback', 'com.example.evil:/callback')],
    ['a host form of the scheme', (good: string) => good.replace('com.example.app:/callback', 'com.example.app://callback')],
    ['an https page', (good: string) => good.replace('com.example.app:/callback', 'https://evil.test/callback')],
  ])('%s: refused, and the genuine callback then completes the login', async (_, elsewhere) => {
    const { makeClient, navigations, provider, storage } = await setup();
    const client = makeClient({ redirectUri: 'com.example.app:/callback', postLogoutRedirectUri: 'com.example.app:/logout' });
    await client.login();
    const genuine = provider.authorize(navigations[0] as string);
    await expect(client.handleCallback(elsewhere(genuine))).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_callback' });
    expect(pendingLogins(storage.map), 'the pending login').toHaveLength(1);
    await expect(client.handleCallback(genuine)).resolves.toMatchObject({ kind: 'login', user: { sub: 'alice' } });
  });

  it('the loopback case: the same response at the configured URI (no port) leaves the per-login one pending', async () => {
    const { makeClient, navigations, provider, storage } = await setup();
    const client = makeClient({ redirectUri: 'http://127.0.0.1/callback' });
    await client.login({ redirectUri: 'http://127.0.0.1:53123/callback', navigate: (url) => void navigations.push(url) });
    const genuine = provider.authorize(navigations[0] as string);
    await expect(client.handleCallback(genuine.replace(':53123', ':53124'))).rejects.toMatchObject({ code: 'invalid_callback' });
    expect(pendingLogins(storage.map)).toHaveLength(1);
    await expect(client.handleCallback(genuine)).resolves.toMatchObject({ kind: 'login' });
  });

  it('navigate bringing back a URL of another origin does not destroy the login either', async () => {
    const { makeClient, provider, storage } = await setup();
    const client = makeClient();
    let genuine = '';
    const login = client.login({ navigate: async (url) => ((genuine = provider.authorize(url)), genuine.replace('https://rp.test/cb', 'https://evil.test/cb')) });
    await expect(login).rejects.toMatchObject({ code: 'invalid_callback' });
    expect(pendingLogins(storage.map)).toHaveLength(1);
    await expect(client.handleCallback(genuine)).resolves.toMatchObject({ kind: 'login' });
  });
});

describe('a redirect URI with a fragment is refused (RFC 6749 §3.1.2; the option says "No fragment")', () => {
  // appUrl() (options.ts) checks the scheme and host only. The fix: refuse any `#` in the href.
  const base = { issuer: 'https://op.test', clientId: 'app' };
  it.each(['https://rp.test/cb#x', 'https://rp.test/cb#', 'com.example.app:/callback#frag', 'http://127.0.0.1/callback#'])('%s as the option', (redirectUri) => {
    expect(() => new AuthClient({ ...base, redirectUri })).toThrow(ConfigError);
  });

  it('as a per-login redirect URI: refused before anything is stored or opened', async () => {
    const { client, navigations, storage } = await setup();
    await expect(client.login({ redirectUri: 'https://rp.test/cb#x' })).rejects.toMatchObject({ name: 'ConfigError', option: 'redirectUri' });
    expect(navigations).toEqual([]);
    expect(storage.map.size).toBe(0);
  });
});

describe('a deep link is a logout return only at a post-logout redirect URI', () => {
  // handleRedirect(url) with a link that is not a login response reads the pending logout's state,
  // deletes it, and reports `logout` for any link without `state`: while the user is in the system
  // browser, an unrelated deep link (com.example.app:/product/42, or one a web page opens) is
  // reported as the end of the logout, and the real return afterwards as `none`; a link with a
  // forged state consumes the pending logout too. The fix (client.ts #redirect): for a URL that is
  // not the page's own (`!fromPage`), return `none` unless it is at one of postLogoutRedirectUris_
  // (atRedirectUri), before reading or removing the stored logout state.
  async function loggedOut() {
    const world = await setup();
    const client = world.makeClient({ redirectUri: 'com.example.app:/callback', postLogoutRedirectUri: 'com.example.app:/logout' });
    await client.login();
    await client.handleCallback(world.provider.authorize(world.navigations.at(-1) as string));
    await client.logout();
    const sent = new URL(world.navigations.at(-1) as string).searchParams.get('state') as string;
    return { ...world, client, sent };
  }

  it.each(['com.example.app:/product/42', 'com.example.app:/product/42?state=guess', 'com.example.evil:/logout', 'https://evil.test/logout'])(
    '%s while a logout is pending: "none", and the real return is still reported',
    async (link) => {
      const { client, sent } = await loggedOut();
      await expect(client.handleRedirect(link)).resolves.toEqual({ kind: 'none' });
      await expect(client.handleRedirect(`com.example.app:/logout?state=${sent}`)).resolves.toEqual({ kind: 'logout' });
    },
  );
});

describe('a private-use scheme must be a domain name, reversed (RFC 8252 §7.1)', () => {
  // appUrl() (options.ts) asks only for a dot followed by anything but ":" (/\.[^:]/), so schemes
  // that are no domain name anyone controls, and that any app can claim as well as a bare word,
  // pass. The fix: test the protocol against labels of letters, digits and inner "-" joined by single
  // dots, at least two of them:
  // /^[a-z](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+:$/
  const base = { issuer: 'https://op.test', clientId: 'app' };
  it.each(['a..:/callback', 'com..example:/callback', 'app.-:/callback', 'app.+:/callback', 'app.+evil:/callback', 'x.-.-:/cb'])('%s is refused', (redirectUri) => {
    expect(() => new AuthClient({ ...base, redirectUri })).toThrow(ConfigError);
  });
});
