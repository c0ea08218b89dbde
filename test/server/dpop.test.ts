// DPoP (RFC 9449) from the session server, against the real oidc-provider configured to require it for
// the session server's client (test/support/dpop-provider.mjs): the login's tokens are bound to the
// server's key (the provider's AccessToken has `jkt` = the key's thumbprint), the code is bound with
// `dpop_jkt` (or the push's proof), a refresh carries a proof, a provider's nonce demand costs exactly
// one retry, a Bearer answer is refused with nothing stored, and API calls through SessionServer.fetch
// reach a resource server that verifies every proof (test/support/resource-server.mjs).
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, type JWK } from 'jose';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoginRequiredError, type SessionServerOptions } from '../../src/server/index.js';
import type { ServerTokens } from '../../src/server/relying-party.js';
import { dpopProviderConfig } from '../support/dpop-provider.mjs';
import { CookieJar } from '../support/fetch-login.mjs';
import { startResourceServer } from '../support/resource-server.mjs';
import { CLIENT_ID, SESSION_COOKIE, call, eventually, fakeClock, login, sessionCookie, startWorld, storedTokens, type App, type World } from './harness.js';
import { openStore, type OpenStore } from './stores.js';

/** What the provider saw of one request to its token, PAR or authorization endpoint. */
interface Seen {
  route: string;
  grantType: string | undefined;
  /** The DPoP header, if any. */
  proof: string | undefined;
  status: number;
  error: string | undefined;
  /** The authorization request's query (`dpop_jkt`, `request_uri`, ...). */
  query: Record<string, unknown>;
  /** The form posted (a push's parameters). */
  form: Record<string, unknown>;
}

interface Control {
  /** Rewrite token responses' token_type to Bearer (a downgrading provider). */
  downgrade: boolean;
  /** Answer every token request `use_dpop_nonce` with a fresh DPoP-Nonce, before oidc-provider sees it. */
  alwaysNonce: boolean;
  /** POST /token requests that `alwaysNonce` answered. */
  nonceAnswers: number;
}

function providerWorld(requireNonce: boolean) {
  const seen: Seen[] = [];
  const control: Control = { downgrade: false, alwaysNonce: false, nonceAnswers: 0 };
  const started = startWorld({
    accessTokenTtl: 60,
    configureProvider: (configuration) => dpopProviderConfig(configuration, { clientId: CLIENT_ID, requireNonce }),
    providerMiddleware: [
      async (ctx, next) => {
        if (control.alwaysNonce && ctx.method === 'POST' && ctx.path === '/token') {
          control.nonceAnswers++;
          ctx.status = 400;
          ctx.set('dpop-nonce', `nonce-${control.nonceAnswers}`);
          ctx.set('www-authenticate', 'DPoP error="use_dpop_nonce", error_description="a new nonce, always"');
          ctx.body = { error: 'use_dpop_nonce', error_description: 'a new nonce, always' };
          return;
        }
        await next();
        const route = ctx.oidc?.route as string | undefined;
        if (!route || ctx.method === 'OPTIONS' || !['token', 'pushed_authorization_request', 'authorization', 'revocation'].includes(route)) return;
        const body = ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, unknown>) : undefined;
        seen.push({
          route,
          grantType: ctx.oidc?.params?.grant_type as string | undefined,
          proof: (ctx.get('dpop') as string) || undefined,
          status: ctx.status,
          error: typeof body?.error === 'string' ? body.error : undefined,
          query: { ...ctx.query },
          form: { ...ctx.oidc?.body },
        });
        if (control.downgrade && route === 'token' && body && typeof body.token_type === 'string') ctx.body = { ...body, token_type: 'Bearer' };
      },
    ],
  });
  return { started, seen, control };
}

const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
/** The key's RFC 7638 thumbprint, computed here with jose (not with the code under test). */
const thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));

/** Closes an app and lets this process's fetch see its sockets close before the next app takes the port. */
async function closeApp(app: App | undefined): Promise<void> {
  await app?.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

const requestFor = (jar: CookieJar) => ({ headers: { cookie: jar.header() } });
const b64sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The thumbprint of the key a proof carries, after checking it is a public key and the proof's shape. */
async function proofKey(proof: string | undefined, expected: { htm: string; htu: string; ath?: string; nonce?: string }): Promise<string> {
  expect(proof, 'a DPoP proof').toBeTypeOf('string');
  const header = decodeProtectedHeader(proof as string);
  const payload = decodeJwt(proof as string);
  expect(header.typ).toBe('dpop+jwt');
  expect(header.alg).toBe('ES256');
  expect(Object.keys(header.jwk as JWK)).not.toContain('d');
  expect(payload.htm).toBe(expected.htm);
  expect(payload.htu).toBe(expected.htu);
  expect(payload.ath).toBe(expected.ath);
  expect(payload.nonce).toBe(expected.nonce);
  expect(payload.jti).toBeTypeOf('string');
  return calculateJwkThumbprint(header.jwk as JWK);
}

describe('a provider that requires DPoP (no nonce)', () => {
  const { started, seen, control } = providerWorld(false);
  let world: World;
  beforeAll(async () => {
    world = await started;
  });
  afterAll(() => world?.close());
  afterEach(() => {
    control.downgrade = false;
    control.alwaysNonce = false;
  });

  /** An app on the world's port with its own memory store, DPoP on (unless `dpop: undefined`). */
  async function appWith(options: Partial<SessionServerOptions> = {}): Promise<{ app: App; store: OpenStore }> {
    const store = await openStore('memory', options.now ? { now: options.now } : {});
    const app = await world.startApp({ dpop: { keyPair }, store: store.store, ...options });
    return { app, store };
  }
  const tokensOf = (store: OpenStore, jar: CookieJar) => storedTokens((key) => store.raw(key), sessionCookie(jar)) as Promise<ServerTokens>;
  const tokenEndpoint = () => `${world.provider.issuer}/token`;

  describe('login and refresh', () => {
    let app: App;
    let store: OpenStore;
    const clock = fakeClock();
    beforeAll(async () => {
      ({ app, store } = await appWith({ now: clock.now }));
    });
    afterAll(() => closeApp(app));

    it('completes with tokens bound to the server key: dpop_jkt on the authorization request, a proof at the token endpoint, jkt at the provider', async () => {
      seen.length = 0;
      const { jar, finalUrl } = await login(world);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      expect((await call(world, jar, '/auth/session')).status).toBe(200);

      const authorization = seen.filter((s) => s.route === 'authorization');
      expect(authorization.length).toBeGreaterThanOrEqual(1);
      expect(authorization[0]?.query.dpop_jkt).toBe(thumbprint);

      const exchanges = seen.filter((s) => s.route === 'token' && s.grantType === 'authorization_code');
      expect(exchanges.map((s) => s.status)).toEqual([200]);
      expect(await proofKey(exchanges[0]?.proof, { htm: 'POST', htu: tokenEndpoint() })).toBe(thumbprint);

      const tokens = await tokensOf(store, jar);
      expect(tokens.tokenType).toBe('dpop');
      const accessToken = await world.provider.provider.AccessToken.find(tokens.accessToken);
      expect(accessToken?.jkt).toBe(thumbprint);
      // The server hands the token out with its type: an app using getAccessToken sees it is not Bearer.
      expect((await app.server.getAccessToken(requestFor(jar)))?.tokenType).toBe('dpop');
    });

    it('refreshes with a proof, and the new access token is bound to the same key', async () => {
      seen.length = 0;
      const { jar } = await login(world);
      const before = await tokensOf(store, jar);
      clock.advance(120_000);
      const fresh = await app.server.getAccessToken(requestFor(jar));
      expect(fresh?.accessToken).toBeTypeOf('string');
      expect(fresh?.accessToken).not.toBe(before.accessToken);

      const refreshes = seen.filter((s) => s.route === 'token' && s.grantType === 'refresh_token');
      expect(refreshes.map((s) => s.status)).toEqual([200]);
      expect(await proofKey(refreshes[0]?.proof, { htm: 'POST', htu: tokenEndpoint() })).toBe(thumbprint);
      const accessToken = await world.provider.provider.AccessToken.find(fresh?.accessToken as string);
      expect(accessToken?.jkt).toBe(thumbprint);
      expect((await tokensOf(store, jar)).accessToken).toBe(fresh?.accessToken);
    });

    it('retries a use_dpop_nonce answer exactly once, then fails the login like any provider error', async () => {
      control.alwaysNonce = true;
      control.nonceAnswers = 0;
      const jar = new CookieJar();
      const { finalUrl } = await login(world, '/home', { jar });
      // One code exchange and exactly one retry; no loop, no 500.
      expect(control.nonceAnswers).toBe(2);
      expect(new URL(finalUrl).pathname).toBe('/home');
      expect(new URL(finalUrl).searchParams.get('auth_error')).toBe('server_error');
      expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    });
  });

  describe('a Bearer answer where DPoP was asked for', () => {
    let app: App;
    let store: OpenStore;
    const clock = fakeClock();
    beforeAll(async () => {
      ({ app, store } = await appWith({ now: clock.now }));
    });
    afterAll(() => closeApp(app));

    it('at login: refused, no session stored, its refresh token revoked, the app error page (no 500)', async () => {
      const revocations = world.provider.count('revocation');
      control.downgrade = true;
      const jar = new CookieJar();
      const { finalUrl } = await login(world, '/home', { jar });
      expect(finalUrl).toBe(`${world.appOrigin}/home?auth_error=invalid_token_response`);
      expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
      // Only the one-time login claim (c:) was written: no session (s:), tokens (t:) or user index (u:).
      expect((await store.keys?.())?.filter((key) => !key.startsWith('c:'))).toEqual([]);
      await eventually('the refused refresh token is revoked', () => world.provider.count('revocation') === revocations + 1);
    });

    it('at a refresh: the session ends (nothing of the answer kept)', async () => {
      const { jar } = await login(world);
      expect((await tokensOf(store, jar)).tokenType).toBe('dpop');
      control.downgrade = true;
      clock.advance(120_000);
      await expect(app.server.getAccessToken(requestFor(jar))).rejects.toBeInstanceOf(LoginRequiredError);
      expect((await call(world, jar, '/auth/session')).status).toBe(401);
      expect(await storedTokens((key) => store.raw(key), sessionCookie(jar))).toBeUndefined();
    });
  });

  describe('a Bearer answer with allowBearer', () => {
    let app: App;
    let store: OpenStore;
    beforeAll(async () => {
      ({ app, store } = await appWith({ dpop: { keyPair, allowBearer: true } }));
    });
    afterAll(() => closeApp(app));

    it('is accepted: the session keeps a Bearer token', async () => {
      control.downgrade = true;
      const { jar, finalUrl } = await login(world);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      expect((await tokensOf(store, jar)).tokenType).toBe('bearer');
    });
  });

  describe('with pushed authorization requests', () => {
    let app: App;
    let store: OpenStore;
    beforeAll(async () => {
      ({ app, store } = await appWith({ pushedAuthorizationRequests: true }));
    });
    afterAll(() => closeApp(app));

    it('the push carries the proof (no dpop_jkt anywhere), and the tokens are bound to the key', async () => {
      seen.length = 0;
      const { jar, finalUrl } = await login(world);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      const pushes = seen.filter((s) => s.route === 'pushed_authorization_request');
      expect(pushes.map((s) => s.status)).toEqual([201]);
      expect(await proofKey(pushes[0]?.proof, { htm: 'POST', htu: `${world.provider.issuer}/request` })).toBe(thumbprint);
      expect(pushes[0]?.form.code_challenge).toBeTypeOf('string');
      expect(pushes[0]?.form).not.toHaveProperty('dpop_jkt');
      const front = seen.find((s) => s.route === 'authorization');
      expect(Object.keys(front?.query ?? {}).sort()).toEqual(['client_id', 'request_uri']);
      const tokens = await tokensOf(store, jar);
      expect((await world.provider.provider.AccessToken.find(tokens.accessToken))?.jkt).toBe(thumbprint);
    });
  });

  describe('SessionServer.fetch against a resource server that demands a nonce', () => {
    let app: App;
    let store: OpenStore;
    let api: Awaited<ReturnType<typeof startResourceServer>>;
    let jar: CookieJar;
    beforeAll(async () => {
      ({ app, store } = await appWith());
      api = await startResourceServer({ provider: world.provider.provider, issuer: world.provider.issuer, requireNonce: true });
      ({ jar } = await login(world));
    });
    afterAll(async () => {
      await closeApp(app);
      await api?.close();
    });

    it('sends Authorization: DPoP with a proof, retries the nonce challenge once, and keeps the nonce for the next call', async () => {
      api.log.length = 0;
      const tokens = await tokensOf(store, jar);
      const response = await app.server.fetch(requestFor(jar), api.url('/api/me'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'ada', scheme: 'DPoP' });
      expect(api.log.map((entry) => [entry.status, entry.error ?? entry.reason])).toEqual([
        [401, 'use_dpop_nonce'],
        [200, 'ok'],
      ]);
      const [first, second] = api.log;
      const ath = b64sha256(tokens.accessToken);
      expect(await proofKey(first?.proof, { htm: 'GET', htu: api.url('/api/me'), ath })).toBe(thumbprint);
      expect(await proofKey(second?.proof, { htm: 'GET', htu: api.url('/api/me'), ath, nonce: api.nonce })).toBe(thumbprint);
      expect(second?.token).toBe(tokens.accessToken);

      api.log.length = 0;
      const again = await app.server.fetch(requestFor(jar), api.url('/api/me'));
      expect(again.status).toBe(200);
      expect(api.log.map((entry) => entry.status)).toEqual([200]);
    });

    it('a POST body is sent again on the retry', async () => {
      api.rotateNonce();
      api.log.length = 0;
      const response = await app.server.fetch(requestFor(jar), api.url('/api/echo'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-this-one' },
        body: JSON.stringify({ order: 42 }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'ada', scheme: 'DPoP', body: { order: 42 } });
      expect(api.log.map((entry) => [entry.status, entry.scheme, entry.body])).toEqual([
        [401, 'DPoP', '{"order":42}'],
        [200, 'DPoP', '{"order":42}'],
      ]);
    });

    it('answers a second nonce challenge with the response, not a third request', async () => {
      api.log.length = 0;
      const challenge = (nonce: string) => () => ({ status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce } });
      api.respondNext(challenge('n-1'));
      api.respondNext(challenge('n-2'));
      const response = await app.server.fetch(requestFor(jar), api.url('/api/me'));
      expect(response.status).toBe(401);
      expect(api.log).toHaveLength(2);
      expect(api.log[1]?.proofPayload?.nonce).toBe('n-1');
      // The nonce the last answer sent is kept: the next call carries it (the server then asks for its own).
      api.log.length = 0;
      await app.server.fetch(requestFor(jar), api.url('/api/me'));
      expect(api.log[0]?.proofPayload?.nonce).toBe('n-2');
    });

    it('on invalid_token: one refresh (with a proof) and one retry with the new token', async () => {
      const before = await tokensOf(store, jar);
      const refreshes = world.provider.count('token', 'refresh_token');
      api.log.length = 0;
      api.respondNext(() => ({ status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token", algs="ES256"' } }));
      const response = await app.server.fetch(requestFor(jar), api.url('/api/me'));
      expect(response.status).toBe(200);
      expect(world.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
      const after = await tokensOf(store, jar);
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(api.log.map((entry) => [entry.status, entry.token])).toEqual([
        [401, before.accessToken],
        [200, after.accessToken],
      ]);
      expect(await proofKey(api.log[1]?.proof, { htm: 'GET', htu: api.url('/api/me'), ath: b64sha256(after.accessToken), nonce: api.nonce })).toBe(thumbprint);
    });

    it('without a session: LoginRequiredError, nothing sent', async () => {
      api.log.length = 0;
      await expect(app.server.fetch({ headers: {} }, api.url('/api/me'))).rejects.toBeInstanceOf(LoginRequiredError);
      expect(api.log).toEqual([]);
    });

    it('refuses http: off loopback before anything is sent', async () => {
      await expect(app.server.fetch(requestFor(jar), 'http://api.example/orders')).rejects.toThrow(/https/);
    });
  });
});

describe('a provider that requires DPoP nonces', () => {
  const { started, seen } = providerWorld(true);
  let world: World;
  let app: App;
  let store: OpenStore;
  const clock = fakeClock();
  beforeAll(async () => {
    world = await started;
    store = await openStore('memory', { now: clock.now });
    app = await world.startApp({ dpop: { keyPair }, store: store.store, now: clock.now });
  });
  afterAll(async () => {
    await app?.close();
    await world?.close();
  });

  it('the code exchange is retried exactly once with the nonce; the refresh then carries the kept nonce without a retry', async () => {
    seen.length = 0;
    const { jar, finalUrl } = await login(world);
    expect(finalUrl).toBe(`${world.appOrigin}/home`);
    const exchanges = seen.filter((s) => s.route === 'token' && s.grantType === 'authorization_code');
    expect(exchanges.map((s) => [s.status, s.error])).toEqual([
      [400, 'use_dpop_nonce'],
      [200, undefined],
    ]);
    const htu = `${world.provider.issuer}/token`;
    expect(await proofKey(exchanges[0]?.proof, { htm: 'POST', htu })).toBe(thumbprint);
    const nonce = decodeJwt(exchanges[1]?.proof as string).nonce;
    expect(nonce).toBeTypeOf('string');
    expect(await proofKey(exchanges[1]?.proof, { htm: 'POST', htu, nonce: nonce as string })).toBe(thumbprint);
    const tokens = (await storedTokens((key) => store.raw(key), sessionCookie(jar))) as ServerTokens;
    expect((await world.provider.provider.AccessToken.find(tokens.accessToken))?.jkt).toBe(thumbprint);

    seen.length = 0;
    clock.advance(120_000);
    expect((await app.server.getAccessToken(requestFor(jar)))?.accessToken).not.toBe(tokens.accessToken);
    const refreshes = seen.filter((s) => s.route === 'token' && s.grantType === 'refresh_token');
    expect(refreshes.map((s) => s.status)).toEqual([200]);
    expect(decodeJwt(refreshes[0]?.proof as string).nonce).toBeTypeOf('string');
  });
});
