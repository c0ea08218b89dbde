// A refreshed ID token must describe the login it renews (OIDC Core 1.0 §12.2): same `iss`, `sub`,
// `aud`, `azp` (none if the login's had none), `auth_time` of the original authentication, `iat` its own
// issue time (not before the login's), and a `nonce`, if any, the login's. Browser mode refuses a
// changed `sub`; the session server used to accept any and then sent it as the logout hint (issue 12
// §1, "Refresh storms and wrong statuses"). Each claim is tested on its own, against an in-process
// provider behind a fake fetch (the real oidc-provider cannot be made to mint such tokens).
import { beforeEach, describe, expect, test } from 'vitest';
import type { SessionServer } from '../../src/server/index.js';
import { createFakeProvider, type FakeProvider } from '../unit/fake-provider.js';
import { APP, CSRF_HEADERS as csrf, loginCookie, serverFor } from './fake-provider-server.js';
import { fakeClock } from './harness.js';

let fake: FakeProvider;
let server: SessionServer;
let clock: ReturnType<typeof fakeClock>;
/** Changes the claims of ID tokens minted for refreshes (undefined: refreshes carry no ID token). */
let refreshedClaims: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;
/** What the login's ID token gets on top of the provider's defaults. */
let loginClaims: Record<string, unknown> = {};
/** The nonce of the last login's ID token. */
let loginNonce: unknown;

beforeEach(async () => {
  clock = fakeClock();
  fake = await createFakeProvider({ clientId: 'app', accessTokenTtl: 60, now: clock.now });
  refreshedClaims = undefined;
  loginClaims = {};
  fake.hooks.idTokenClaims = (claims) => ((loginNonce = claims.nonce), { ...claims, ...loginClaims });
  fake.hooks.token = async (body, normal) => {
    const response = await normal();
    if (body.get('grant_type') !== 'refresh_token' || !refreshedClaims || !response.ok) return response;
    const tokens = (await response.json()) as Record<string, string>;
    const [change, atLogin] = [refreshedClaims, fake.hooks.idTokenClaims];
    fake.hooks.idTokenClaims = (claims) => change({ ...claims, ...loginClaims });
    tokens.id_token = await fake.idToken('alice', undefined, tokens.access_token);
    fake.hooks.idTokenClaims = atLogin;
    return fake.json(tokens);
  };
  server = serverFor(fake, { tokenRoute: true, now: clock.now });
});

const login = () => loginCookie(server, fake);

const get = (cookie: string, path: string) => server.handle(new Request(`${APP}${path}`, { headers: { cookie, ...csrf } }));

/** The ID token the logout would send as `id_token_hint`, or undefined. */
async function logoutHint(cookie: string): Promise<string | undefined> {
  const response = await server.handle(new Request(`${APP}/auth/logout`, { method: 'POST', headers: { cookie, ...csrf } }));
  const { redirectTo } = (await response.json()) as { redirectTo: string };
  return new URL(redirectTo).searchParams.get('id_token_hint') ?? undefined;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;

describe('a refreshed ID token that does not describe the login', () => {
  test.each<[string, Record<string, unknown>, (claims: Record<string, unknown>) => Record<string, unknown>]>([
    ['sub: another user', {}, (c) => ({ ...c, sub: 'mallory' })],
    ['aud: another audience added (with azp, so the token itself is well-formed)', {}, (c) => ({ ...c, aud: ['app', 'api.other'], azp: 'app' })],
    ['azp: added where the login had none', {}, (c) => ({ ...c, azp: 'app' })],
    ['auth_time: a new authentication time', { auth_time: Math.floor(Date.now() / 1000) - 30 }, (c) => ({ ...c, auth_time: (c.auth_time as number) + 100 })],
    ['auth_time: one appears, later than the login', {}, (c) => ({ ...c, auth_time: (c.iat as number) })],
    ['iat: issued before the login was', {}, (c) => ({ ...c, iat: (c.iat as number) - 3_600 })],
    ['nonce: one that is not the login\'s', {}, (c) => ({ ...c, nonce: 'some-other-nonce' })],
  ])('%s: 401, the session ends, its refresh token is revoked, and it never becomes the logout hint', async (_name, atLogin, change) => {
    loginClaims = atLogin;
    const cookie = await login();
    const original = (await (await get(cookie, '/auth/token')).json()) as { accessToken: string };
    expect(original.accessToken).toMatch(/^at-/);
    clock.advance(120_000);
    refreshedClaims = change;
    const revocationsBefore = fake.count('/token/revocation');
    const response = await get(cookie, '/auth/token');
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain('at-');
    expect((await get(cookie, '/auth/session')).status).toBe(401);
    expect(fake.count('/token/revocation')).toBeGreaterThan(revocationsBefore);
    expect(await logoutHint(cookie)).toBeUndefined();
  });

  test('acr: below the requiredAcr the login had to meet: 401, the session ends, never the logout hint', async () => {
    server = serverFor(fake, { tokenRoute: true, now: clock.now, requiredAcr: ['urn:mfa'] });
    loginClaims = { acr: 'urn:mfa' };
    const cookie = await login();
    clock.advance(120_000);
    refreshedClaims = (c) => ({ ...c, acr: 'urn:password' });
    expect((await get(cookie, '/auth/token')).status).toBe(401);
    expect((await get(cookie, '/auth/session')).status).toBe(401);
    expect(await logoutHint(cookie)).toBeUndefined();
  });

  test('iss: another issuer is refused (oauth4webapi) and nothing of that response is kept or hinted', async () => {
    const cookie = await login();
    clock.advance(120_000);
    refreshedClaims = (c) => ({ ...c, iss: 'https://evil.test' });
    const response = await get(cookie, '/auth/token');
    expect(response.status).not.toBe(200);
    expect(response.status).toBeLessThan(600);
    const hint = await logoutHint(cookie);
    if (hint !== undefined) expect(claimsOf(hint).iss).toBe(fake.issuer);
  });
});

describe('a refreshed ID token that does describe the login', () => {
  test('same iss, sub, aud, auth_time and nonce, a new iat: accepted, and it becomes the logout hint', async () => {
    loginClaims = { auth_time: Math.floor(Date.now() / 1000) - 30 };
    const cookie = await login();
    clock.advance(120_000);
    refreshedClaims = (c) => ({ ...c, nonce: loginNonce });
    expect(loginNonce).toEqual(expect.any(String));
    const response = await get(cookie, '/auth/token');
    expect(response.status).toBe(200);
    const hint = await logoutHint(cookie);
    expect(hint).toBeDefined();
    expect(claimsOf(hint as string).iat).toBeGreaterThanOrEqual(Math.floor(clock.now() / 1000) - 5);
    expect(claimsOf(hint as string).sub).toBe('alice');
  });

  test('a refresh without an ID token keeps the login\'s as the logout hint', async () => {
    const cookie = await login();
    clock.advance(120_000);
    expect((await get(cookie, '/auth/token')).status).toBe(200);
    const hint = await logoutHint(cookie);
    expect(claimsOf(hint as string).sub).toBe('alice');
  });
});
