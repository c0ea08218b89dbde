// Requirements in docs/conformance.md that no other test proved: each test names its clause. Both
// modes where the requirement applies to both (the browser SDK and the session server against the
// in-process fake provider, see oidcc-worlds.ts).
import { describe, expect, it } from 'vitest';
import { createSessionServer } from '../../src/server/index.js';
import { createFakeProvider } from './fake-provider.js';
import { APP, MODES, claimsOf, expectRejectedIdToken, jar, reissueIdTokens, serverWorld, world, type Claims } from './oidcc-worlds.js';

describe.each(MODES)('conformance gaps, %s mode', (mode) => {
  it(`RFC 6749 §3.1: a query already in the authorization endpoint is kept (${mode})`, async () => {
    const w = await world(mode);
    w.provider.hooks.discovery = async (normal) =>
      w.provider.json({ ...((await normal().json()) as Claims), authorization_endpoint: `${w.provider.issuer}/authorize?tenant=acme` });
    expect(await w.signIn()).toEqual({ ok: true, sub: 'alice' });
    const p = w.lastAuthorization();
    expect(p.get('tenant')).toBe('acme');
    expect(p.get('response_type')).toBe('code');
  });

  it(`RFC 6749 §4.1.2: unrecognised response parameters are ignored (${mode})`, async () => {
    const w = await world(mode);
    expect(await w.signIn('alice', { session_state: 'x.y', foo: 'bar', expires_in: '-1' })).toEqual({ ok: true, sub: 'alice' });
  });

  it(`RFC 6749 §10.8: the authorization request carries no app data: returnTo stays on our side (${mode})`, async () => {
    const w = await world(mode);
    expect(await w.signIn()).toEqual({ ok: true, sub: 'alice' });
    const url = w.lastAuthorizationUrl();
    expect(url).not.toContain('after');
    expect(w.lastAuthorization().get('state')).toMatch(/^[\w-]{43}$/);
  });

  it(`RFC 9207 §2.4: an iss naming another issuer is refused before any token request (${mode})`, async () => {
    const w = await world(mode);
    const outcome = await w.signIn('alice', { iss: 'https://attacker.test' });
    expect(outcome).toMatchObject({ ok: false, code: 'issuer_mismatch' });
    expect(w.count('/token')).toBe(0);
    expect(await w.signedIn()).toBe(false);
  });

  it(`RFC 9207 §2.4: an error response from another issuer is not taken as the provider's (${mode})`, async () => {
    const w = await world(mode);
    const outcome = await w.signIn('alice', { iss: 'https://attacker.test', error: 'access_denied' });
    expect(outcome).toMatchObject({ ok: false, code: 'issuer_mismatch' });
  });

  it(`RFC 7636 §4.1/§4.2: a fresh 43-character verifier per login, sent with S256 (${mode})`, async () => {
    const w = await world(mode);
    expect(await w.signIn()).toEqual({ ok: true, sub: 'alice' });
    expect(await w.signIn()).toEqual({ ok: true, sub: 'alice' });
    const verifiers = w.provider.requests.filter((r) => r.body?.get('grant_type') === 'authorization_code').map((r) => r.body?.get('code_verifier'));
    expect(verifiers).toHaveLength(2);
    for (const v of verifiers) expect(v).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(verifiers[0]).not.toBe(verifiers[1]);
  });

  it(`RFC 7009 §2.1: logout revokes the refresh token with token_type_hint and our client_id (${mode})`, async () => {
    const w = await world(mode);
    expect(await w.signIn()).toEqual({ ok: true, sub: 'alice' });
    await w.logout();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const revocation = w.provider.requests.find((r) => new URL(r.url).pathname === '/token/revocation');
    expect(revocation?.method).toBe('POST');
    expect(revocation?.body?.get('token')).toMatch(/^rt-/);
    expect(revocation?.body?.get('token_type_hint')).toBe('refresh_token');
    expect(revocation?.body?.get('client_id')).toBe('spa');
  });

  it(`RP-Initiated Logout §2: the id_token_hint is the ID token of this session (${mode})`, async () => {
    const w = await world(mode);
    expect(await w.signIn('bob')).toEqual({ ok: true, sub: 'bob' });
    const hint = new URL(await w.logout()).searchParams.get('id_token_hint') ?? 'x.e30.x';
    expect(claimsOf(hint)).toMatchObject({ sub: 'bob', iss: w.provider.issuer, aud: 'spa' });
  });
});

describe('conformance gaps, server cookies (RFC 6265bis)', () => {
  /** Every Set-Cookie name in a response, in order. */
  const names = (response: Response) => response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf('=')));

  it('RFC 6265bis §4.1.1: no response sets the same cookie name twice (login, callback, logout)', async () => {
    let now = Date.UTC(2026, 10, 27, 12);
    const provider = await createFakeProvider({ now: () => now });
    // The routes driven by hand, to see each response's headers.
    const server = createSessionServer({
      issuer: provider.issuer,
      clientId: 'spa',
      tokenEndpointAuthMethod: 'none',
      appUrl: APP,
      secret: 'cookie-names-secret-cookie-names-secret-0123',
      fetch: provider.fetch,
      now: () => now,
    });
    let cookies = new Map<string, string>();
    const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const seen: string[][] = [];
    for (let i = 0; i < 7; i++) {
      // Several logins left open first: the login response also expires the oldest pending cookies.
      const login = await server.handle(new Request(`${APP}/auth/login`, { headers: { cookie: header() } }));
      seen.push(names(login));
      cookies = jar(login, cookies);
    }
    const login = await server.handle(new Request(`${APP}/auth/login`, { headers: { cookie: header() } }));
    seen.push(names(login));
    cookies = jar(login, cookies);
    const callback = new URL(provider.authorize(login.headers.get('location') as string));
    const done = await server.handle(new Request(`${APP}${callback.pathname}${callback.search}`, { headers: { cookie: header() } }));
    seen.push(names(done));
    cookies = jar(done, cookies);
    now += 1000;
    const logout = await server.handle(
      new Request(`${APP}/auth/logout`, { method: 'POST', headers: { cookie: header(), origin: APP, 'sec-fetch-site': 'same-origin', 'x-oidc-session': '1' } }),
    );
    seen.push(names(logout));
    // The control: the login completed (a session cookie was set) and the logout cleared it.
    expect(seen.at(-2)).toContain(server.cookieName);
    expect(seen.at(-1)).toContain(server.cookieName);
    for (const list of seen) expect(new Set(list).size, list.join(', ')).toBe(list.length);
  });
});

// OIDC Core §3.1.3.7 steps 3, 4, 9, 10 and the JOSE header, in the session server as in the browser
// (test/hostile/id-token.spec.ts proves them for the browser in Chromium).
const seconds = (c: Claims) => c.iat as number;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
describe.each(MODES)('ID token validation, %s mode', (mode) => {
  it.each<[string, (c: Claims) => Claims]>([
    ['exp two minutes past (step 9)', (c) => ({ ...c, exp: seconds(c) - 120 })],
    ['exp missing (§2)', ({ exp: _exp, ...c }) => c],
    ['iat a day ahead (step 10)', (c) => ({ ...c, iat: seconds(c) + 86_400, exp: seconds(c) + 90_000 })],
    ['iat two hours old at login (step 10)', (c) => ({ ...c, iat: seconds(c) - 7200 })],
    ['nbf an hour ahead', (c) => ({ ...c, nbf: seconds(c) + 3600 })],
    ['aud [ours, untrusted] without azp (step 4)', (c) => ({ ...c, aud: ['spa', 'untrusted'] })],
    ['aud [ours, untrusted] with azp untrusted (steps 4, 5)', (c) => ({ ...c, aud: ['spa', 'untrusted'], azp: 'untrusted' })],
    ['iss with a trailing slash (step 2, exact match)', (c) => ({ ...c, iss: `${c.iss}/` })],
    ['sub a number (§2)', (c) => ({ ...c, sub: 42 })],
    ['auth_time a string (§2)', (c) => ({ ...c, auth_time: 'yesterday' })],
  ])(`OIDC Core §3.1.3.7: %s is rejected, nothing kept (${mode})`, async (_, tamper) => {
    const w = await world(mode);
    w.provider.hooks.idTokenClaims = tamper;
    await expectRejectedIdToken(w, await w.signIn());
  });

  it(`OIDC Core §3.1.3.7 step 9: exp ten seconds past is within the 30 s tolerance (${mode})`, async () => {
    const w = await world(mode);
    w.provider.hooks.idTokenClaims = (c) => ({ ...c, exp: seconds(c) - 10 });
    expect(await w.signIn()).toEqual({ ok: true, sub: 'alice' });
  });

  it.each<[string, (jwt: string, claims: Claims) => string]>([
    ['a "crit" header (RFC 7515 §4.1.11)', (_, c) => `${b64({ alg: 'RS256', crit: ['exp'], exp: 1 })}.${b64(c)}.c2ln`],
    ['an encrypted (JWE, five-part) ID token (§3.1.3.7 step 1)', () => `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`],
    ['a JWS that is not three parts', (_, c) => `${b64({ alg: 'RS256' })}.${b64(c)}`],
  ])(`OIDC Core §3.1.3.7: %s is refused, nothing kept (${mode})`, async (_, make) => {
    const w = await world(mode);
    reissueIdTokens(w.provider, async (c) => make('', c));
    const outcome = await w.signIn();
    expect(outcome.ok).toBe(false);
    expect(await w.signedIn()).toBe(false);
    expect(w.storedTokens()).toEqual([]);
  });
});

describe('conformance gaps, session server request building', () => {
  it('RFC 9700 §4.13 / RFC 6749 §3.1.2: redirect_uri comes from appUrl, never from the request host or forwarded headers', async () => {
    const provider = await createFakeProvider();
    const server = createSessionServer({
      issuer: provider.issuer,
      clientId: 'spa',
      tokenEndpointAuthMethod: 'none',
      appUrl: APP,
      secret: 'redirect-uri-secret-redirect-uri-secret-0123',
      fetch: provider.fetch,
    });
    const login = await server.handle(
      new Request('https://evil.test/auth/login', { headers: { host: 'evil.test', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'http', forwarded: 'host=evil.test' } }),
    );
    const location = new URL(login.headers.get('location') ?? 'x:');
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('redirect_uri')).toBe(`${APP}/auth/callback`);
  });
});

describe('conformance gaps, session server callback parameters', () => {
  // RFC 6749 §3.1 / OIDC Core §3.1.2.5: a response parameter appears once; which copy would count?
  it.each(['code', 'state', 'iss'])('RFC 6749 §3.1: a callback carrying "%s" twice is refused, nothing redeemed (server)', async (name) => {
    const w = await serverWorld();
    const outcome = await w.signIn('alice', {}, (callback) => {
      const url = new URL(callback);
      url.searchParams.append(name, url.searchParams.get(name) ?? 'x');
      return url.href;
    });
    expect(outcome.ok).toBe(false);
    expect(w.count('/token')).toBe(0);
    expect(await w.signedIn()).toBe(false);
  });
});
