// API routes with a resource indicator (RFC 8707): each gets an access token issued for its API alone,
// asked for with the session's refresh token, against the real oidc-provider with resource indicators
// on (JWT access tokens whose `aud` is the resource) and a small real API that checks every token's
// signature with the provider's keys. Refresh tokens rotate, so a refresh token spent twice would
// revoke the grant and end the session: concurrent renewals must take turns.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createSessionServer, memoryStore } from '../../src/server/index.js';
import type { CookieJar } from '../support/fetch-login.mjs';
import { CLIENT_ID, CLIENT_SECRET, SECRET, call, fakeClock, loginAt, sessionCookie, startWorld, storedTokens, type App, type World } from './harness.js';
import { resourceIndicatorsFeature } from '../support/resource-indicators.mjs';
import { startUpstreamApi, type UpstreamApi } from './upstream-api.js';
import { transportOptions } from './proxy-transport.js';

/** Written without a trailing slash, as APIs' audiences usually are: it must reach the provider as written. */
const ORDERS = 'https://orders.example';
const BILLING = 'urn:example:billing';
/** Accepted in the login, refused at the token endpoint (a provider whose policy changed mid-session). */
const REFUSED = 'https://refused.example/';

let world: World;
let app: App;
let upstream: UpstreamApi;
let jar: CookieJar;
let authorizationUrl: URL;
const clock = fakeClock();
const store = memoryStore();

beforeAll(async () => {
  world = await startWorld({
    configureProvider: (configuration) => ({
      ...configuration,
      rotateRefreshToken: () => true,
      features: {
        ...configuration.features,
        resourceIndicators: resourceIndicatorsFeature({
          [ORDERS]: { scope: 'orders:read', format: 'jwt' },
          [BILLING]: { scope: 'billing:read', format: 'jwt' },
          [REFUSED]: { scope: 'orders:read', format: 'jwt', refusedAtToken: true },
        }),
      },
    }),
  });
  upstream = await startUpstreamApi();
  app = await world.startApp({
    ...transportOptions(),
    store,
    now: clock.now,
    scope: 'openid profile email offline_access orders:read billing:read',
    apis: [
      { path: '/api/orders', upstream: `${upstream.origin}/v1`, resource: ORDERS, requiredScopes: ['orders:read'] },
      { path: '/api/billing', upstream: `${upstream.origin}/v1`, resource: BILLING },
      // Billing's token was not granted orders:read, though the login's scope names it.
      { path: '/api/billing-orders', upstream: `${upstream.origin}/v1`, resource: BILLING, requiredScopes: ['orders:read'] },
      { path: '/api/refused', upstream: `${upstream.origin}/v1`, resource: REFUSED },
      { path: '/api/plain', upstream: `${upstream.origin}/v1` },
    ],
  });
  const done = await loginAt(world);
  jar = done.jar;
  authorizationUrl = new URL(done.hops.find((hop) => hop.startsWith(`${world.provider.issuer}/auth?`)) as string);
}, 30_000);
beforeEach(() => {
  upstream.requests.length = 0;
  upstream.refusedTokens.clear();
});
afterAll(async () => {
  await upstream?.close();
  await world?.close();
}, 15_000);

const tokens = async () => (await storedTokens((key) => store.get(key), sessionCookie(jar)))!;
const refreshes = () => world.provider.count('token', 'refresh_token');
const send = (path: string) => call(world, jar, path, { csrf: true });
/** The access token the upstream received on its last request. */
const lastToken = () => /^Bearer (.+)$/.exec(upstream.requests.at(-1)?.headers.authorization ?? '')?.[1];
const providerKeys = () => createRemoteJWKSet(new URL(`${world.provider.issuer}/jwks`));

describe('API routes with a resource indicator (RFC 8707)', () => {
  test('the login asks for every route resource once, each exactly as written (§2.1)', () => {
    expect(authorizationUrl.searchParams.getAll('resource').sort()).toEqual([ORDERS, BILLING, REFUSED].sort());
  });

  test("each route gets a token for its API alone; the login's own token goes where no resource is named", async () => {
    const before = await tokens();
    expect((await send('/api/orders/list')).status).toBe(200);
    const orders = lastToken() as string;
    expect((await send('/api/billing/invoices')).status).toBe(200);
    const billing = lastToken() as string;
    expect((await send('/api/plain/x')).status).toBe(200);
    expect(lastToken()).toBe(before.accessToken);

    // Signed by the provider, for that audience and with that API's scope only.
    const ordersClaims = (await jwtVerify(orders, providerKeys(), { issuer: world.provider.issuer, audience: ORDERS })).payload;
    expect(ordersClaims.scope).toBe('orders:read');
    const billingClaims = (await jwtVerify(billing, providerKeys(), { issuer: world.provider.issuer, audience: BILLING })).payload;
    expect(billingClaims.scope).toBe('billing:read');
    expect(new Set([orders, billing, before.accessToken]).size).toBe(3);

    // Kept beside the login's token, which no resource's refresh touched.
    const after = await tokens();
    expect(after.accessToken).toBe(before.accessToken);
    expect(after.resources?.[ORDERS]).toMatchObject({ accessToken: orders, tokenType: expect.stringMatching(/^bearer$/i), scope: 'orders:read' });
    expect(after.resources?.[BILLING]).toMatchObject({ accessToken: billing, scope: 'billing:read' });
  });

  test('a resource token is reused while fresh: no refresh per request', async () => {
    await send('/api/orders/warm');
    const spent = refreshes();
    for (let i = 0; i < 3; i++) expect((await send(`/api/orders/${i}`)).status).toBe(200);
    expect(refreshes()).toBe(spent);
    expect(new Set(upstream.requests.map((r) => r.headers.authorization)).size).toBe(1);
  });

  test("requiredScopes are checked against the resource's token, not the login's", async () => {
    const before = upstream.requests.length;
    const refused = await send('/api/billing-orders/x');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'insufficient_scope', scope: 'orders:read' });
    expect(upstream.requests.length).toBe(before);
  });

  test('a resource token the API refuses (invalid_token) is renewed for that resource and the request sent once more', async () => {
    await send('/api/orders/warm');
    const stale = lastToken() as string;
    const main = (await tokens()).accessToken;
    upstream.refusedTokens.add(stale);
    const spent = refreshes();
    const retried = await send('/api/orders/again');
    expect(retried.status).toBe(200);
    expect(refreshes()).toBe(spent + 1);
    const fresh = lastToken() as string;
    expect(fresh).not.toBe(stale);
    await jwtVerify(fresh, providerKeys(), { audience: ORDERS });
    expect((await tokens()).accessToken).toBe(main);
    expect((await tokens()).resources?.[ORDERS]?.accessToken).toBe(fresh);
  });

  test('when a resource token expires only that one is renewed; the others and the login token stay', async () => {
    await send('/api/orders/warm');
    await send('/api/billing/warm');
    const before = await tokens();
    // Past the orders token's renewal point, and the others' too: only what a request needs is renewed.
    // (The clock only moves forward: tokens received "later" would otherwise look fresh for longer.)
    clock.advance(55_000);
    {
      const spent = refreshes();
      expect((await send('/api/orders/due')).status).toBe(200);
      expect(refreshes()).toBe(spent + 1);
      const after = await tokens();
      expect(after.resources?.[ORDERS]?.accessToken).not.toBe(before.resources?.[ORDERS]?.accessToken);
      expect(after.resources?.[BILLING]?.accessToken).toBe(before.resources?.[BILLING]?.accessToken);
      expect(after.accessToken).toBe(before.accessToken);
      // The refresh token rotated (this provider rotates on every use); the next renewal spends the new one.
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect((await send('/api/billing/due')).status).toBe(200);
      expect((await send('/api/plain/due')).status).toBe(200);
      expect(world.provider.revokedGrants).toEqual([]);
    }
  });

  test('renewals of several resources and the login token at once take turns: no rotated refresh token is spent twice', async () => {
    const before = await tokens();
    clock.advance(55_000);
    {
      const spent = refreshes();
      const paths = ['/api/orders/a', '/api/billing/a', '/api/plain/a', '/api/orders/b', '/api/billing/b', '/api/plain/b'];
      const answers = await Promise.all(paths.map((path) => send(path)));
      expect(answers.map((answer) => answer.status)).toEqual(paths.map(() => 200));
      // One renewal per token, however many requests wanted it.
      expect(refreshes()).toBe(spent + 3);
      expect(world.provider.revokedGrants).toEqual([]);
      const after = await tokens();
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.resources?.[ORDERS]?.accessToken).not.toBe(before.resources?.[ORDERS]?.accessToken);
      expect(after.resources?.[BILLING]?.accessToken).not.toBe(before.resources?.[BILLING]?.accessToken);
      // No renewal wrote over another's token: each is still there, and used without asking again.
      const settled = refreshes();
      for (const path of paths) expect((await send(path)).status).toBe(200);
      expect(refreshes()).toBe(settled);
      expect(Object.keys((await tokens()).resources ?? {}).sort()).toEqual([ORDERS, BILLING].sort());
    }
  });

  test('a resource the provider refuses (invalid_target) fails that route only: the session and every other token stay', async () => {
    const before = await tokens();
    const refused = await send('/api/refused/x');
    expect(refused.status).toBe(502);
    expect(refused.body).toEqual({ error: 'provider_error' });
    expect(upstream.requests).toEqual([]);
    // Backed off: the next request does not ask the provider again at once.
    const spent = refreshes();
    expect((await send('/api/refused/y')).status).toBe(502);
    expect(refreshes()).toBe(spent);
    expect((await call(world, jar, '/auth/session')).status).toBe(200);
    expect((await send('/api/orders/still')).status).toBe(200);
    const after = await tokens();
    expect(after.accessToken).toBe(before.accessToken);
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(after.resources?.[REFUSED]).toBeUndefined();
  });

  test('getAccessToken and fetch take a resource too; a malformed one is a TypeError, nothing sent', async () => {
    const request = { headers: { cookie: jar.header() } };
    const token = await app.server.getAccessToken(request, { resource: ORDERS });
    expect(token?.accessToken).toBe((await tokens()).resources?.[ORDERS]?.accessToken);
    await jwtVerify(token!.accessToken, providerKeys(), { audience: ORDERS });
    expect((await app.server.getAccessToken(request))?.accessToken).toBe((await tokens()).accessToken);

    const answer = await app.server.fetch(request, `${upstream.origin}/v1/echo/server-side`, undefined, { resource: BILLING });
    expect(answer.status).toBe(200);
    expect(lastToken()).toBe((await tokens()).resources?.[BILLING]?.accessToken);

    const spent = refreshes();
    for (const resource of ['orders', '/relative', 'https://api.example/#frag', 'https://api.example/?q=1', 'https://api example', '', 42, 'x'.repeat(600)]) {
      await expect(app.server.getAccessToken(request, { resource } as never)).rejects.toThrow(TypeError);
      await expect(app.server.fetch(request, `${upstream.origin}/v1/echo/x`, undefined, { resource } as never)).rejects.toThrow(TypeError);
    }
    expect(refreshes()).toBe(spent);
  });

  test('the session ends: logout forgets every resource token with it', async () => {
    const { jar: other } = await loginAt(world);
    expect((await call(world, other, '/api/orders/x', { csrf: true })).status).toBe(200);
    const id = sessionCookie(other);
    expect((await storedTokens((key) => store.get(key), id))?.resources?.[ORDERS]).toBeDefined();
    expect((await call(world, other, '/auth/logout', { method: 'POST', csrf: true })).status).toBe(200);
    expect(await storedTokens((key) => store.get(key), id)).toBeUndefined();
    expect((await call(world, other, '/api/orders/x', { csrf: true })).status).toBe(401);
  });
});

describe('the resource option', () => {
  const base = { issuer: 'https://op.example', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'https://app.example', secret: SECRET };
  const route = (resource: unknown, extra: Record<string, unknown> = {}) => ({ apis: [{ path: '/api/x', upstream: 'https://api.example', resource, ...extra }] });

  test.each([ORDERS, 'https://orders.example/v1/', BILLING, 'api://orders-api', 'https://api.example:8443/x'])('%s is a resource indicator', (resource) => {
    expect(() => createSessionServer({ ...base, ...route(resource) } as never)).not.toThrow();
  });

  test.each([
    ['a fragment (RFC 8707 §2: MUST NOT)', 'https://api.example/#x'],
    ['a query (§2: SHOULD NOT)', 'https://api.example/?tenant=1'],
    ['a relative reference', '/api'],
    ['no scheme', 'api.example'],
    ['a space', 'https://api.example/a b'],
    ['a control character', 'https://api.example/\u0000'],
    ['non-ASCII', 'https://api.example/ü'],
    ['empty', ''],
    ['not a string', 42],
    ['overlong', `https://api.example/${'x'.repeat(600)}`],
    ['credentials (they would ride in every login URL)', 'https://user:pw@api.example/'],
    ['characters RFC 3986 does not allow', 'https://api.example/<x>'],
    ['a quote', 'https://api.example/"x"'],
    ['braces and a backtick', 'https://api.example/{x}`'],
  ])('%s is refused, naming the option', (_what, resource) => {
    expect(() => createSessionServer({ ...base, ...route(resource) } as never)).toThrow(expect.objectContaining({ name: 'ConfigError', option: 'apis[0].resource' }));
  });

  test('an anonymous route with a resource is refused: it sends no token', () => {
    expect(() => createSessionServer({ ...base, ...route(ORDERS, { anonymous: true }) } as never)).toThrow(expect.objectContaining({ option: 'apis[0].resource' }));
  });
});
