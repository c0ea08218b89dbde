// The whole life of a session through the routes, for each server-side store: login, session,
// reload, the app's API, logout (cookie cleared, store emptied, refresh token revoked at the provider).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SESSION_COOKIE, call, login, loginAt, refreshAtProvider, sessionCookie, startWorld, storeKey, storedTokens, type App, type World } from './harness.js';
import { openKind, redisForFile, type OpenStore } from './stores.js';

let world: World;
const redis = redisForFile();
let endSessionEndpoint: string;
beforeAll(async () => {
  world = await startWorld();
  const metadata = (await (await fetch(`${world.provider.issuer}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
  endSessionEndpoint = metadata.end_session_endpoint;
  expect(endSessionEndpoint).toMatch(/^http:\/\/localhost:\d+\//);
});
afterAll(async () => {
  await world?.close();
  await redis.stop();
});

describe.each(['memory', 'redis', 'ioredis'] as const)('routes with the %s store', (kind) => {
  let opened: OpenStore;
  let app: App;
  beforeAll(async () => {
    opened = await openKind(kind, redis);
    app = await world.startApp({ store: opened.store });
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  test('login, session, reload, API, logout: cookie cleared, store emptied, refresh token revoked', async () => {
    const { jar, finalUrl } = await login(world, '/home?tab=2');
    expect(finalUrl).toBe(`${world.appOrigin}/home?tab=2`);
    // The pending-login cookie is gone; the session cookie is an opaque id, not the tokens.
    expect([...jar.cookies.keys()]).toEqual([SESSION_COOKIE]);
    const id = sessionCookie(jar);
    expect(id).toMatch(/^[\w-]{43}$/);

    const first = await call(world, jar, '/auth/session');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const body = first.body as { user: { sub: string; email: string }; expiresAt: number };
    expect(body.user.sub).toBe('ada');
    expect(body.user.email).toBe('ada@example.com');
    expect(body.expiresAt).toBeGreaterThan(Date.now());
    const reload = await call(world, jar, '/auth/session');
    expect(reload.status).toBe(200);
    expect((reload.body as { user: { sub: string } }).user.sub).toBe('ada');
    expect(await call(world, jar, '/api/me')).toMatchObject({ status: 200, body: { sub: 'ada' } });

    // Tokens are in the store, sealed: the raw entry does not contain them.
    const tokens = await storedTokens(opened.raw, id);
    expect(tokens?.refreshToken).toEqual(expect.any(String));
    expect(tokens?.idToken).toEqual(expect.any(String));
    const rawTokens = await opened.raw(await storeKey(id, 't'));
    for (const token of [tokens?.accessToken, tokens?.refreshToken, tokens?.idToken]) expect(rawTokens).not.toContain(token);
    // The session entry is sealed too: no claims in the clear at rest.
    expect(await opened.raw(await storeKey(id, 's'))).toMatch(/^[\w-]+$/);
    const refreshToken = tokens?.refreshToken as string;
    expect(await world.provider.provider.RefreshToken.find(refreshToken)).toBeDefined();
    const revocations = world.provider.count('revocation');

    const out = await call(world, jar, '/auth/logout', { method: 'POST', csrf: true });
    expect(out.status).toBe(200);
    const redirectTo = new URL((out.body as { redirectTo: string }).redirectTo);
    expect(redirectTo.origin + redirectTo.pathname).toBe(endSessionEndpoint);
    expect(redirectTo.searchParams.get('id_token_hint')).toBe(tokens?.idToken);
    expect(redirectTo.searchParams.get('post_logout_redirect_uri')).toBe(`${world.appOrigin}/`);
    expect(out.headers.getSetCookie()).toEqual([expect.stringMatching(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`))]);
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);

    // The old id is dead everywhere, not just absent from the jar.
    const stale = `${SESSION_COOKIE}=${id}`;
    expect((await call(world, stale, '/auth/session')).status).toBe(401);
    expect((await call(world, stale, '/api/me')).status).toBe(401);
    expect(await opened.raw(await storeKey(id, 's'))).toBeUndefined();
    expect(await opened.raw(await storeKey(id, 't'))).toBeUndefined();
    // Nothing of the session is left (`c:` entries are the callback's single-use records of redeemed states).
    if (opened.keys) expect((await opened.keys()).filter((key) => !key.startsWith('c:'))).toEqual([]);

    // The refresh token was revoked at the provider: one revocation request, and the token is dead.
    expect(world.provider.count('revocation')).toBe(revocations + 1);
    expect(await world.provider.provider.RefreshToken.find(refreshToken)).toBeUndefined();
    const refused = await refreshAtProvider(world, refreshToken);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
  });

  test('the cookies are HttpOnly, Secure, Path=/, the pending one SameSite=Lax and the session one Strict; the session cookie lasts until the absolute timeout', async () => {
    const { setCookies } = await loginAt(world);
    const pending = `${SESSION_COOKIE}\\.login\\.[\\w-]{1,16}`;
    expect(setCookies).toEqual([
      expect.stringMatching(new RegExp(`^${pending}=[\\w-]+; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=600$`)),
      expect.stringMatching(new RegExp(`^${pending}=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0$`)),
      expect.stringMatching(new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=\\d+$`)),
    ]);
    // Seven days (the default absolute timeout), less the moments since the session started.
    const maxAge = Number(/Max-Age=(\d+)$/.exec(setCookies[2] as string)?.[1]);
    expect(maxAge).toBeLessThanOrEqual(604_800);
    expect(maxAge).toBeGreaterThan(604_800 - 10);
  });

  test('unknown routes answer 404, wrong methods 405 with Allow, and a callback without a pending login changes nothing', async () => {
    expect((await call(world, '', '/auth/nope')).status).toBe(404);
    expect((await call(world, '', '/auth')).status).toBe(404);
    expect((await call(world, '', '/auth/token', { csrf: true })).status).toBe(404);
    const post = await call(world, '', '/auth/session', { method: 'POST', csrf: true });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');

    const { jar } = await login(world);
    const forged = await call(world, jar, '/auth/callback?code=abc&state=xyz');
    expect(forged.status).toBe(303);
    expect(forged.headers.get('location')).toBe(`${world.appOrigin}/?auth_error=transaction_not_found`);
    expect((await call(world, jar, '/auth/session')).status).toBe(200);
  });

  test('returnTo must stay on the app origin', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/x', 'javascript:alert(1)', `${world.appOrigin.replace('localhost', '127.0.0.1')}/`]) {
      const response = await call(world, '', `/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(response.status, returnTo).toBe(400);
    }
    const { finalUrl } = await login(world, `${world.appOrigin}/deep/path?q=1`);
    expect(finalUrl).toBe(`${world.appOrigin}/deep/path?q=1`);
  });
});
