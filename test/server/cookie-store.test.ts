// The stateless cookie store: the session lives sealed in the cookie, the idle slide re-sends it, the
// refresh token is revoked at the provider right after login (nothing keeps it), logout clears the cookie.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cookieStore } from '../../src/server/index.js';
import { SESSION_COOKIE, call, eventually, fakeClock, login, sessionCookie, startWorld, type World } from './harness.js';

const IDLE = 600_000;

let world: World;
const clock = fakeClock();
beforeAll(async () => {
  world = await startWorld();
  await world.startApp({ store: cookieStore(), now: clock.now, idleTimeoutSeconds: IDLE / 1000 });
});
afterAll(() => world?.close());

test('login: the cookie carries the session, sealed; the refresh token is revoked at the provider at once', async () => {
  const revocations = world.provider.count('revocation');
  const grants = world.provider.revokedGrants.length;
  const { jar, finalUrl } = await login(world);
  expect(finalUrl).toBe(`${world.appOrigin}/home`);
  const cookie = sessionCookie(jar);
  expect(cookie).toMatch(/^[\w-]+$/);
  expect(cookie.length).toBeLessThan(4096 - 200);
  expect(Buffer.from(cookie, 'base64url').toString('latin1')).not.toContain('ada');
  const session = await call(world, jar, '/auth/session');
  expect(session.status).toBe(200);
  expect((session.body as { user: { sub: string } }).user.sub).toBe('ada');
  expect(await call(world, jar, '/api/me')).toMatchObject({ status: 200, body: { sub: 'ada' } });
  // The revocation is sent without holding up the callback.
  await eventually('the refresh token is revoked', () => world.provider.count('revocation') === revocations + 1);
  await eventually('the grant is revoked at the provider', () => world.provider.revokedGrants.length === grants + 1);
});

test('the idle slide re-sends the cookie once a tenth of the idle timeout has passed, not before', async () => {
  const { jar } = await login(world);
  const first = sessionCookie(jar);
  const start = (await call(world, jar, '/auth/session')).body as { expiresAt: number };

  clock.advance(IDLE / 20);
  const early = await call(world, jar, '/auth/session');
  expect(early.status).toBe(200);
  expect(early.headers.getSetCookie()).toEqual([]);
  expect(sessionCookie(jar)).toBe(first);

  clock.advance(IDLE / 10);
  const late = await call(world, jar, '/auth/session');
  expect(late.status).toBe(200);
  const [renewed] = late.headers.getSetCookie();
  expect(renewed).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]+; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=\\d+$`));
  const second = sessionCookie(jar);
  expect(second).not.toBe(first);
  expect((late.body as { expiresAt: number }).expiresAt).toBeGreaterThan(start.expiresAt + IDLE / 10);

  // The app's API (sessionMiddleware) re-sends it too.
  clock.advance(IDLE / 5);
  const api = await call(world, jar, '/api/me');
  expect(api.status).toBe(200);
  expect(api.headers.getSetCookie()).toHaveLength(1);
  expect(sessionCookie(jar)).not.toBe(second);

  // Past the first cookie's idle deadline, the renewed cookie is alive and the first one is not.
  clock.advance(IDLE - IDLE / 5);
  expect(clock.now()).toBeGreaterThan(start.expiresAt);
  expect((await call(world, jar, '/auth/session')).status).toBe(200);
  expect((await call(world, `${SESSION_COOKIE}=${first}`, '/auth/session')).status).toBe(401);
});

test('logout clears the cookie and revokes nothing more (nothing was kept)', async () => {
  const atLogin = world.provider.count('revocation');
  const { jar } = await login(world);
  await eventually('the login revocation', () => world.provider.count('revocation') === atLogin + 1);
  const revocations = world.provider.count('revocation');
  const out = await call(world, jar, '/auth/logout', { method: 'POST', csrf: true });
  expect(out.status).toBe(200);
  expect(new URL((out.body as { redirectTo: string }).redirectTo).pathname).toBe('/session/end');
  expect(out.headers.getSetCookie()).toEqual([`${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0`]);
  expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
  expect((await call(world, jar, '/auth/session')).status).toBe(401);
  expect(world.provider.count('revocation')).toBe(revocations);
});
