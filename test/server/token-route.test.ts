// The opt-in token route: 404 unless enabled; a real access token; concurrent requests after expiry
// share one refresh; a refresh the provider refuses (invalid_grant) ends the session.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, SECRET, SESSION_COOKIE, call, fakeClock, login, revokeAtProvider, sessionCookie, startWorld, storeKey, storedTokens, type App, type World } from './harness.js';
import { createSessionServer } from '../../src/server/index.js';
import { openKind, redisForFile, type OpenStore } from './stores.js';

interface Token {
  accessToken: string;
  tokenType: string;
  expiresAt: number;
}

let world: World;
const redis = redisForFile();
let userinfo: string;
/** Milliseconds the provider holds each token request while set: makes refreshes overlap. */
let tokenDelay = 0;
beforeAll(async () => {
  world = await startWorld({
    accessTokenTtl: 60,
    providerMiddleware: [
      async (ctx, next) => {
        if (tokenDelay && ctx.method === 'POST' && ctx.path === '/token') await new Promise((resolve) => setTimeout(resolve, tokenDelay));
        await next();
      },
    ],
  });
  userinfo = ((await (await fetch(`${world.provider.issuer}/.well-known/openid-configuration`)).json()) as { userinfo_endpoint: string }).userinfo_endpoint;
});
afterAll(async () => {
  await world?.close();
  await redis.stop();
});

/** The provider's own answer to the token: the user it belongs to, or the HTTP status. */
async function userOf(accessToken: string): Promise<string | number> {
  const response = await fetch(userinfo, { headers: { authorization: `Bearer ${accessToken}` } });
  return response.ok ? ((await response.json()) as { sub: string }).sub : response.status;
}

const refreshes = () => world.provider.count('token', 'refresh_token');

test('GET token is 404 unless tokenRoute is enabled, even with a session', async () => {
  const app = await world.startApp();
  try {
    const { jar } = await login(world);
    expect((await call(world, jar, '/auth/session')).status).toBe(200);
    const response = await call(world, jar, '/auth/token', { csrf: true });
    expect(response.status).toBe(404);
    expect(JSON.stringify(response.body)).not.toMatch(/accessToken/);
  } finally {
    await app.close();
  }
});

describe.each(['memory', 'redis'] as const)('the token route with the %s store', (kind) => {
  let clock: ReturnType<typeof fakeClock>;
  let opened: OpenStore;
  let app: App;
  beforeAll(async () => {
    clock = fakeClock();
    opened = await openKind(kind, redis, clock.now);
    app = await world.startApp({ store: opened.store, now: clock.now, tokenRoute: true });
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  test('hands out the session access token, valid at the provider, without refreshing while fresh', async () => {
    const { jar } = await login(world);
    const before = refreshes();
    const response = await call(world, jar, '/auth/token', { csrf: true });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const token = response.body as Token;
    expect(token.tokenType.toLowerCase()).toBe('bearer');
    expect(token.expiresAt - clock.now()).toBeGreaterThan(50_000);
    expect(token.expiresAt - clock.now()).toBeLessThanOrEqual(60_000);
    expect(token.accessToken).toBe((await storedTokens(opened.raw, sessionCookie(jar)))?.accessToken);
    expect(await userOf(token.accessToken)).toBe('ada');
    // The app's own server-side calls get the same one.
    const direct = await app.server.getAccessToken({ headers: { cookie: jar.header() } });
    expect(direct?.accessToken).toBe(token.accessToken);
    expect(((await call(world, jar, '/auth/token', { csrf: true })).body as Token).accessToken).toBe(token.accessToken);
    expect(refreshes()).toBe(before);
    expect(await app.server.getAccessToken({ headers: { cookie: '' } })).toBeUndefined();
  });

  test('after expiry, 20 concurrent requests share exactly one refresh and get the same new token', async () => {
    const { jar } = await login(world);
    const old = (await call(world, jar, '/auth/token', { csrf: true })).body as Token;
    clock.advance(61_000);
    const before = refreshes();
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(world, jar, '/auth/token', { csrf: true })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(refreshes()).toBe(before + 1);
    const tokens = new Set(responses.map((r) => (r.body as Token).accessToken));
    expect(tokens.size).toBe(1);
    const [fresh] = tokens as Set<string> & Iterable<string>;
    expect(fresh).not.toBe(old.accessToken);
    expect((responses[0]?.body as Token).expiresAt).toBeGreaterThan(clock.now() + 50_000);
    expect(await userOf(fresh as string)).toBe('ada');
    // Kept for the next request: no second refresh.
    expect((await storedTokens(opened.raw, sessionCookie(jar)))?.accessToken).toBe(fresh);
    expect(((await call(world, jar, '/auth/token', { csrf: true })).body as Token).accessToken).toBe(fresh);
    expect(refreshes()).toBe(before + 1);
  });

  test('forceRefresh=1 refreshes a fresh token once', async () => {
    const { jar } = await login(world);
    const old = (await call(world, jar, '/auth/token', { csrf: true })).body as Token;
    const before = refreshes();
    const forced = await call(world, jar, '/auth/token?forceRefresh=1', { csrf: true });
    expect(forced.status).toBe(200);
    expect((forced.body as Token).accessToken).not.toBe(old.accessToken);
    expect(refreshes()).toBe(before + 1);
    expect(await userOf((forced.body as Token).accessToken)).toBe('ada');
  });

  test('invalid_grant (refresh token revoked at the provider) answers 401 and ends the session', async () => {
    const { jar } = await login(world);
    const id = sessionCookie(jar);
    const tokens = await storedTokens(opened.raw, id);
    expect(await revokeAtProvider(world, tokens?.refreshToken as string)).toBe(200);
    // Still fresh: handed out without asking the provider.
    expect((await call(world, jar, '/auth/token', { csrf: true })).status).toBe(200);
    clock.advance(61_000);
    const before = refreshes();
    const refused = await call(world, jar, '/auth/token', { csrf: true });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'login_required' });
    expect(refreshes()).toBe(before + 1);
    expect((await call(world, `${SESSION_COOKIE}=${id}`, '/auth/session')).status).toBe(401);
    expect((await call(world, `${SESSION_COOKIE}=${id}`, '/api/me')).status).toBe(401);
    expect(await opened.raw(await storeKey(id, 's'))).toBeUndefined();
    expect(await opened.raw(await storeKey(id, 't'))).toBeUndefined();
  });
});

test('two server instances on one Redis (no shared memory, only the store lock) refresh once between them', async () => {
  const clock = fakeClock();
  const [one, two] = await Promise.all([openKind('redis', redis, clock.now), openKind('redis', redis, clock.now)]);
  const servers = [one, two].map((opened) =>
    createSessionServer({ issuer: world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: world.appOrigin, secret: SECRET, store: opened.store, now: clock.now }),
  );
  const app = await world.startApp({ store: one.store, now: clock.now });
  try {
    const { jar } = await login(world);
    const request = { headers: { cookie: jar.header() } };
    const old = (await servers[1]?.getAccessToken(request))?.accessToken;
    expect(old).toEqual(expect.any(String));
    clock.advance(61_000);
    tokenDelay = 300;
    const before = refreshes();
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => servers[i % 2]?.getAccessToken(request)));
    expect(refreshes()).toBe(before + 1);
    expect(new Set(tokens.map((t) => t?.accessToken)).size).toBe(1);
    expect(tokens[0]?.accessToken).not.toBe(old);
  } finally {
    tokenDelay = 0;
    await app.close();
    await Promise.all([one.close(), two.close()]);
  }
});
