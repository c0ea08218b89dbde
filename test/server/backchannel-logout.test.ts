// OpenID Connect Back-Channel Logout 1.0 against the real oidc-provider: the provider posts its own
// logout tokens when a user signs out there, and the tests sign tokens with the provider's own key
// (they give oidc-provider its JWKS) to try every check of §2.6 one at a time. A refused token is a
// 400 and ends nothing; an accepted one ends exactly the sessions it names.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT, importJWK, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { ConfigError, createSessionServer, memoryStore, cookieStore, type SessionStore } from '../../src/server/index.js';
import { CookieJar } from '../support/fetch-login.mjs';
import { CLIENT_ID, CLIENT_SECRET, SECRET, call, eventually, loginAt, sessionCookie, signOutAtProvider, startWorld, storedTokens, type App, type World } from './harness.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function rsaKey(): JWK & { kid: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

const providerKey = rsaKey();
/** The keys the provider's jwks_uri serves: the tests rotate them. */
let publishedKeys: (JWK & { kid: string })[] = [providerKey];
let world: World;
let app: App;
let store: SessionStore;
const backchannel: { ok: number; failed: string[] } = { ok: 0, failed: [] };
let grantOfflineAccess = false;

beforeAll(async () => {
  world = await startWorld({
    configureProvider: (configuration: any) => ({
      ...configuration,
      // The provider's signing key is the tests' too: they sign logout tokens as the provider would.
      jwks: { keys: [providerKey] },
    }),
    clientMetadata: (origin) => ({ backchannel_logout_uri: `${origin}/auth/backchannel-logout`, backchannel_logout_session_required: true }),
    providerMiddleware: [
      async (ctx, next) => {
        await next();
        // The demo provider grants refresh tokens without offline_access; a test says it was granted.
        if (grantOfflineAccess && ctx.method === 'POST' && ctx.path === '/token' && typeof ctx.body?.scope === 'string') ctx.body = { ...ctx.body, scope: `${ctx.body.scope} offline_access` };
      },
      async (ctx, next) => {
        // After a rotation the provider publishes other keys than the one oidc-provider signs with: only
        // the tests' own tokens use them.
        if (ctx.method === 'GET' && ctx.path === '/jwks' && publishedKeys[0] !== providerKey) {
          ctx.type = 'application/jwk-set+json';
          ctx.body = { keys: publishedKeys.map(({ kid, kty, n, e, alg, use }) => ({ kid, kty, n, e, alg, use })) };
          return;
        }
        await next();
      },
    ],
  });
  world.provider.provider.on('backchannel.success', () => void backchannel.ok++);
  world.provider.provider.on('backchannel.error', (_ctx: unknown, error: Error) => void backchannel.failed.push(error.message));
  store = memoryStore();
  app = await world.startApp({ backchannelLogout: true, store });
}, 30_000);
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await world?.close();
});

async function signIn(providerJar?: CookieJar) {
  const { jar, providerJar: provider } = await loginAt(world, providerJar ? { providerJar } : {});
  const session = await call(world, jar, '/auth/session');
  expect(session.status).toBe(200);
  return { jar, providerJar: provider, user: (session.body as { user: { sub: string; sid: string } }).user };
}

async function sessionStatus(jar: CookieJar): Promise<{ status: number; reason?: string }> {
  const response = await call(world, jar, '/auth/session');
  return { status: response.status, ...((response.body as { reason?: string })?.reason ? { reason: (response.body as { reason: string }).reason } : {}) };
}

type Claims = Record<string, unknown>;

/**
 * A logout token signed with the provider's key (or `key`) naming the user ada (`sub`); a claim set
 * to undefined is left out.
 */
async function logoutToken(claims: Claims = {}, options: { key?: JWK & { kid: string }; header?: Record<string, unknown>; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = Object.fromEntries(
    Object.entries({ iss: world.provider.issuer, aud: CLIENT_ID, iat: now, exp: now + 120, jti: randomBytes(12).toString('hex'), events: { [EVENT]: {} }, sub: 'ada', ...claims }).filter(([, v]) => v !== undefined),
  );
  const key = options.key ?? providerKey;
  const alg = options.alg ?? 'RS256';
  return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ: 'logout+jwt', ...options.header }).sign(await importJWK(key, alg));
}

async function post(body: BodyInit, contentType = 'application/x-www-form-urlencoded') {
  const response = await fetch(`${world.appOrigin}/auth/backchannel-logout`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.text();
  return { status: response.status, cacheControl: response.headers.get('cache-control'), body: text ? (JSON.parse(text) as { error: string; error_description: string }) : undefined };
}

const send = (token: string) => post(new URLSearchParams({ logout_token: token }));

describe('logout tokens the provider sends', () => {
  test('signing out at the provider ends that browser session here (by sid), and no other', async () => {
    const one = await signIn();
    const other = await signIn();
    expect(one.user.sid).toEqual(expect.any(String));
    expect(other.user.sid).not.toBe(one.user.sid);
    const before = backchannel.ok;
    await signOutAtProvider(world, one.providerJar);
    expect(backchannel.failed).toEqual([]);
    expect(backchannel.ok).toBe(before + 1);
    expect(await sessionStatus(one.jar)).toEqual({ status: 401, reason: 'provider' });
    expect(await sessionStatus(other.jar)).toEqual({ status: 200 });
  });

  test('both sessions of one provider session (two logins in one browser) end together', async () => {
    const first = await signIn();
    const second = await signIn(first.providerJar);
    expect(second.user.sid).toBe(first.user.sid);
    await signOutAtProvider(world, first.providerJar);
    expect(await sessionStatus(first.jar)).toMatchObject({ status: 401 });
    expect(await sessionStatus(second.jar)).toMatchObject({ status: 401 });
  });
});

describe('which sessions a valid token ends (§2.7)', () => {
  test('sub alone: every session of the user', async () => {
    const [a, b] = [await signIn(), await signIn()];
    const answer = await send(await logoutToken({ sub: 'ada', sid: undefined }));
    expect(answer).toEqual({ status: 200, cacheControl: 'no-store', body: undefined });
    expect(await sessionStatus(a.jar)).toEqual({ status: 401, reason: 'provider' });
    expect(await sessionStatus(b.jar)).toEqual({ status: 401, reason: 'provider' });
  });

  test('sid and sub: both must match; another user with that sid is not ended', async () => {
    const a = await signIn();
    expect((await send(await logoutToken({ sid: a.user.sid, sub: 'grace' }))).status).toBe(200);
    expect(await sessionStatus(a.jar)).toEqual({ status: 200 });
    expect((await send(await logoutToken({ sid: a.user.sid, sub: 'ada' }))).status).toBe(200);
    expect(await sessionStatus(a.jar)).toEqual({ status: 401, reason: 'provider' });
  });

  test('an unknown sid is a logout already done: 200, and nothing ends', async () => {
    const a = await signIn();
    expect((await send(await logoutToken({ sid: 'no-such-session' }))).status).toBe(200);
    expect(await sessionStatus(a.jar)).toEqual({ status: 200 });
  });

  test('the session and its tokens leave the store; a session that was never ended has no reason', async () => {
    const a = await signIn();
    const id = sessionCookie(a.jar);
    expect(await storedTokens((key) => store.get(key), id)).toBeDefined();
    await send(await logoutToken({ sid: a.user.sid }));
    expect(await storedTokens((key) => store.get(key), id)).toBeUndefined();
    // A cookie that never named a session: a plain 401.
    const forged = new CookieJar();
    forged.cookies.set('__Host-oidc-session', 'x'.repeat(43));
    expect(await sessionStatus(forged)).toEqual({ status: 401 });
  });

  test('a refresh token granted without offline_access is revoked at the provider (§2.7 SHOULD)', async () => {
    const a = await signIn();
    const tokens = await storedTokens((key) => store.get(key), sessionCookie(a.jar));
    expect(tokens?.refreshToken).toEqual(expect.any(String));
    expect(tokens?.scope ?? '').not.toMatch(/offline_access/);
    const revocations = world.provider.count('revocation');
    await send(await logoutToken({ sid: a.user.sid }));
    await eventually('the revocation', () => world.provider.count('revocation') === revocations + 1);
  });

  test('one granted with offline_access stays live at the provider (§2.7 SHOULD NOT revoke)', async () => {
    grantOfflineAccess = true;
    try {
      const a = await signIn();
      expect((await storedTokens((key) => store.get(key), sessionCookie(a.jar)))?.scope).toMatch(/offline_access/);
      const revocations = world.provider.count('revocation');
      await send(await logoutToken({ sid: a.user.sid }));
      expect(await sessionStatus(a.jar)).toMatchObject({ status: 401 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(world.provider.count('revocation')).toBe(revocations);
    } finally {
      grantOfflineAccess = false;
    }
  });

  test('a replayed token is refused, and the session begun since then stays', async () => {
    const first = await signIn();
    const token = await logoutToken({ sid: first.user.sid });
    expect((await send(token)).status).toBe(200);
    // The same browser signs in again: the provider session, and so the sid, is the same.
    const again = await signIn(first.providerJar);
    expect(again.user.sid).toBe(first.user.sid);
    const replay = await send(token);
    expect(replay).toMatchObject({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_request', error_description: expect.stringContaining('jti') } });
    expect(await sessionStatus(again.jar)).toEqual({ status: 200 });
  });
});

describe('tokens refused (§2.6): 400 invalid_request, no-store, and the session stays', () => {
  const other = rsaKey();
  const cases: Array<[string, () => Promise<string>]> = [
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64(await claimsOf())}.`],
    ['HS256 keyed with the public key (algorithm confusion)', async () => hmacToken()],
    ['signed by another key under the provider key id', () => logoutToken({}, { key: { ...other, kid: providerKey.kid } })],
    ['signed by a key the provider does not publish', () => logoutToken({}, { key: other })],
    ['an algorithm other than the registered one (RS384)', () => logoutToken({}, { alg: 'RS384' })],
    ['another audience', () => logoutToken({ aud: 'another-client' })],
    ['several audiences without azp', () => logoutToken({ aud: [CLIENT_ID, 'another-client'] })],
    ['an azp that is another client', () => logoutToken({ azp: 'another-client' })],
    ['another issuer', () => logoutToken({ iss: 'https://evil.example' })],
    ['the issuer with a trailing slash', () => logoutToken({ iss: `${world.provider.issuer}/` })],
    ['no iat', () => logoutToken({ iat: undefined })],
    ['iat ten minutes ahead', () => logoutToken({ iat: Math.floor(Date.now() / 1000) + 600 })],
    ['iat ten minutes ago', () => logoutToken({ iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) + 60 })],
    ['no exp (REQUIRED in the final text)', () => logoutToken({ exp: undefined })],
    ['exp a string', () => logoutToken({ exp: String(Math.floor(Date.now() / 1000) + 60) })],
    ['exp passed', () => logoutToken({ iat: Math.floor(Date.now() / 1000) - 200, exp: Math.floor(Date.now() / 1000) - 100 })],
    ['iat a string', () => logoutToken({ iat: String(Math.floor(Date.now() / 1000)) })],
    ['no jti', () => logoutToken({ jti: undefined })],
    ['an empty jti', () => logoutToken({ jti: '' })],
    ['a jti that is a number', () => logoutToken({ jti: 42 })],
    ['no events', () => logoutToken({ events: undefined })],
    ['events as an array (a draft format)', () => logoutToken({ events: [EVENT] })],
    ['the event member not an object', () => logoutToken({ events: { [EVENT]: true } })],
    ['only another event', () => logoutToken({ events: { 'https://schemas.openid.net/secevent/risc/event-type/account-disabled': {} } })],
    ['a nonce (an ID token)', () => logoutToken({ nonce: 'n-0S6_WzA2Mj' })],
    ['neither sid nor sub', () => logoutToken({ sid: undefined, sub: undefined })],
    ['a sid that is a number', () => logoutToken({ sid: 7 })],
    ['an empty sub', () => logoutToken({ sub: '' })],
    ['typ at+jwt (an access token)', () => logoutToken({}, { header: { typ: 'at+jwt' } })],
    ['five parts (a JWE)', async () => `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`],
    ['not a JWT', async () => 'not-a-jwt'],
    ['JSON in the JWT parts that is not an object', async () => `${b64('x')}.${b64([1])}.sig`],
  ];

  async function claimsOf(): Promise<Claims> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: world.provider.issuer, aud: CLIENT_ID, iat: now, exp: now + 120, jti: randomBytes(8).toString('hex'), events: { [EVENT]: {} }, sub: 'ada' };
  }

  async function hmacToken(): Promise<string> {
    const secret = new TextEncoder().encode(JSON.stringify({ kty: 'RSA', n: providerKey.n, e: providerKey.e }));
    return new SignJWT(await claimsOf()).setProtectedHeader({ alg: 'HS256', kid: providerKey.kid, typ: 'logout+jwt' }).sign(secret);
  }

  test.each(cases)('%s', async (_name, make) => {
    const a = await signIn();
    const token = await make();
    // Each token names ada (sub): were its one flaw not checked, it would end this session.
    const answer = await send(token);
    expect(answer).toMatchObject({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_request' } });
    expect(await sessionStatus(a.jar)).toEqual({ status: 200 });
  });

  test('the control: the base token of the table, without a flaw, ends the session', async () => {
    const a = await signIn();
    expect((await send(await logoutToken({ sub: 'ada' }))).status).toBe(200);
    expect(await sessionStatus(a.jar)).toMatchObject({ status: 401 });
  });

  test('typ JWT or no typ is accepted (explicit typing is a SHOULD for providers)', async () => {
    for (const header of [{ typ: 'JWT' }, { typ: undefined }, { typ: 'application/logout+jwt' }]) {
      const a = await signIn();
      expect((await send(await logoutToken({ sid: a.user.sid }, { header }))).status).toBe(200);
      expect(await sessionStatus(a.jar)).toMatchObject({ status: 401 });
    }
  });

  test("the session's own ID token is not a logout token (cross-JWT confusion, §4.1)", async () => {
    const a = await signIn();
    const tokens = await storedTokens((key) => store.get(key), sessionCookie(a.jar));
    expect(tokens?.idToken).toMatch(/^eyJ/);
    expect(await send(tokens?.idToken as string)).toMatchObject({ status: 400 });
    expect(await sessionStatus(a.jar)).toEqual({ status: 200 });
  });
});

describe('the request (§2.5) and the route', () => {
  test('malformed requests are 400, never 500', async () => {
    const a = await signIn();
    const token = await logoutToken({ sid: a.user.sid });
    const requests: Array<[string, BodyInit, string?]> = [
      ['JSON instead of a form', JSON.stringify({ logout_token: token }), 'application/json'],
      ['no logout_token', 'foo=bar'],
      ['an empty logout_token', 'logout_token='],
      ['logout_token twice', `logout_token=${token}&logout_token=${token}`],
      ['a body past the limit', `logout_token=${token}&pad=${'x'.repeat(20_000)}`],
      ['bytes that are not UTF-8', new Uint8Array([0x6c, 0xff, 0xfe, 0x3d, 0xc3])],
      ['a form with the token under another name', `logout-token=${token}`],
    ];
    for (const [name, body, type] of requests) {
      const answer = await post(body, type);
      expect(answer, name).toMatchObject({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_request' } });
    }
    expect(await sessionStatus(a.jar)).toEqual({ status: 200 });
    // The control: the same token in a proper form is accepted.
    expect((await send(token)).status).toBe(200);
  });

  test('only POST; the route does not exist unless enabled', async () => {
    const get = await fetch(`${world.appOrigin}/auth/backchannel-logout`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.text();
    const plain = createSessionServer({ issuer: world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: world.appOrigin, secret: SECRET });
    const answer = await plain.handle(new Request(`${world.appOrigin}/auth/backchannel-logout`, { method: 'POST', body: 'logout_token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(answer.status).toBe(404);
  });

  test('the stateless cookie mode refuses the option: its sessions cannot be ended from outside', () => {
    const make = () =>
      createSessionServer({ issuer: world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: world.appOrigin, secret: SECRET, store: cookieStore(), backchannelLogout: true });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/backchannelLogout/);
  });

  test('a store outage while ending is a 400 that gives the jti back: the provider may send the token again', async () => {
    let failDeletes = true;
    const inner = memoryStore();
    const flaky: SessionStore = { ...inner, delete: (keys) => (failDeletes && keys.some((k) => k.startsWith('s:')) ? Promise.reject(new Error('down')) : inner.delete(keys)) };
    await app.close();
    app = await world.startApp({ backchannelLogout: true, store: flaky });
    try {
      const a = await signIn();
      const token = await logoutToken({ sid: a.user.sid });
      expect(await send(token)).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: expect.stringContaining('store') } });
      failDeletes = false;
      expect((await send(token)).status).toBe(200);
      expect(await sessionStatus(a.jar)).toMatchObject({ status: 401 });
    } finally {
      await app.close();
      app = await world.startApp({ backchannelLogout: true, store });
    }
  });
});

describe("the provider's keys", () => {
  test('a rotated key is fetched when a token names it; a key id made up is refused without a fetch per token', async () => {
    const a = await signIn();
    // Once verified with the first key, the server holds the key set.
    expect((await send(await logoutToken({ sid: 'warm-up' }))).status).toBe(200);
    const next = rsaKey();
    publishedKeys = [next, providerKey];
    try {
      const jwksBefore = world.provider.requests.filter((r) => r.route === 'jwks').length;
      // Within jose's cooldown a made-up key id costs no request to the provider.
      for (let i = 0; i < 5; i++) expect((await send(await logoutToken({ sub: 'ada' }, { key: { ...rsaKey(), kid: `made-up-${i}` } }))).status).toBe(400);
      expect(world.provider.requests.filter((r) => r.route === 'jwks').length - jwksBefore).toBeLessThanOrEqual(1);
      // Past the cooldown, a token under the new key makes the server fetch the set again.
      const later = Date.now() + 31_000;
      vi.spyOn(Date, 'now').mockImplementation(() => later);
      const now = Math.floor(later / 1000);
      expect((await send(await logoutToken({ sid: a.user.sid, iat: now, exp: now + 120 }, { key: next }))).status).toBe(200);
    } finally {
      publishedKeys = [providerKey];
      vi.restoreAllMocks();
    }
    expect(await sessionStatus(a.jar)).toEqual({ status: 401, reason: 'provider' });
  });
});

// The OpenID Foundation's back-channel logout RP modules (oidcc-client-backchannel-rp-*-logout plans):
// the app logs out first (RP-initiated), then the suite posts a logout token for that session.
describe('OpenID conformance modules, back-channel logout RP', () => {
  const modules: Array<[string, () => Claims, { alg?: string; none?: boolean }, number]> = [
    ['oidcc-client-test-rp-backchannel-rpinitlogout', () => ({}), {}, 200],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-alg-none', () => ({}), { none: true }, 400],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-wrong-alg', () => ({}), { alg: 'RS512' }, 400],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-wrong-aud', () => ({ aud: 'invalid-aud' }), {}, 400],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-wrong-iss', () => ({ iss: 'https://invalid-issuer.example' }), {}, 400],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-no-event', () => ({ events: undefined }), {}, 400],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-wrong-event', () => ({ events: { 'http://schemas.openid.net/event/not-backchannel-logout': {} } }), {}, 400],
    ['oidcc-client-test-rp-backchannel-rpinitlogout-with-nonce', () => ({ nonce: 'a-nonce' }), {}, 400],
  ];
  test.each(modules)('%s:', async (_module, claims, how, status) => {
    const a = await signIn();
    const out = await call(world, a.jar, '/auth/logout', { method: 'POST', csrf: true });
    expect(out.status).toBe(200);
    const body = { sid: a.user.sid, ...claims() };
    const token = how.none
      ? `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64({ iss: world.provider.issuer, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), jti: randomBytes(8).toString('hex'), events: { [EVENT]: {} }, sub: 'ada', ...body })}.`
      : await logoutToken(body, how.alg ? { alg: how.alg } : {});
    const answer = await send(token);
    expect(answer.status).toBe(status);
    // The suite checks Cache-Control on every answer of the back-channel logout URI.
    expect(answer.cacheControl).toBe('no-store');
  });
});

describe('SessionServer.endSessions', () => {
  test("ends a user's sessions from the app; the browser is told the reason", async () => {
    const [a, b] = [await signIn(), await signIn()];
    expect(await app.server.endSessions({ sub: 'ada' })).toBeGreaterThanOrEqual(2);
    expect(await sessionStatus(a.jar)).toEqual({ status: 401, reason: 'ended' });
    expect(await sessionStatus(b.jar)).toEqual({ status: 401, reason: 'ended' });
    expect(await app.server.endSessions({ sub: 'ada' })).toBe(0);
  });

  test('by sid: only that provider session', async () => {
    const [a, b] = [await signIn(), await signIn()];
    expect(await app.server.endSessions({ sid: a.user.sid })).toBe(1);
    expect(await sessionStatus(a.jar)).toMatchObject({ status: 401 });
    expect(await sessionStatus(b.jar)).toEqual({ status: 200 });
  });

  test('bad arguments are TypeErrors; cookie mode is a ConfigError', async () => {
    for (const match of [{}, { sub: '' }, { sid: 3 }, null]) await expect(app.server.endSessions(match as never)).rejects.toThrow(TypeError);
    const stateless = createSessionServer({ issuer: world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: world.appOrigin, secret: SECRET, store: cookieStore() });
    await expect(stateless.endSessions({ sub: 'ada' })).rejects.toThrow(ConfigError);
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
