// Idle and absolute expiry on a fake clock (the server's `now`, shared with the memory store): use
// slides the idle deadline (at most once per tenth of it), disuse past it ends the session, and the
// absolute deadline ends it however busy it is.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { SESSION_COOKIE, call, eventually, fakeClock, login, sessionCookie, storeKey, type App } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';
import type { CookieJar } from '../support/fetch-login.mjs';

const IDLE = 600_000;
const ABSOLUTE = 1_800_000;

const file = worldForFile();
const redis = file.redis;

describe.each(['memory', 'redis', 'cookie'] as const)('expiry with the %s store', (kind) => {
  let clock: ReturnType<typeof fakeClock>;
  let opened: OpenStore;
  let app: App;
  beforeEach(async () => {
    clock = fakeClock();
    opened = await openKind(kind, redis, clock.now);
    app = await file.world.startApp({ store: opened.store, now: clock.now, idleTimeoutSeconds: IDLE / 1000, absoluteTimeoutSeconds: ABSOLUTE / 1000 });
    return async () => {
      await app.close();
      await opened.close();
    };
  });

  async function session(jar: CookieJar, path = '/auth/session') {
    const before = jar.cookies.get(SESSION_COOKIE);
    const response = await call(file.world, jar, path);
    const renewed = response.headers.getSetCookie().length > 0;
    // Only the cookie store re-sends its cookie; a store's cookie is an id that never changes.
    if (kind !== 'cookie') expect(renewed).toBe(false);
    if (renewed) expect(jar.cookies.get(SESSION_COOKIE)).not.toBe(before);
    return { status: response.status, expiresAt: (response.body as { expiresAt?: number }).expiresAt, renewed };
  }

  test('idle: use slides the deadline past the original one; disuse past it ends the session', async () => {
    const { jar } = await login(file.world);
    const stale = sessionCookie(jar);
    const first = await session(jar);
    expect(first.status).toBe(200);
    const deadline = first.expiresAt as number;
    expect(deadline - clock.now()).toBeGreaterThan(IDLE - 5_000);
    expect(deadline - clock.now()).toBeLessThanOrEqual(IDLE);

    // Under a tenth of the idle timeout: no store write, no new cookie, same deadline.
    clock.advance(30_000);
    expect(await session(jar)).toMatchObject({ status: 200, expiresAt: deadline, renewed: false });

    // At 90% of it the session is used (through the app's API) and slides.
    clock.advance(0.9 * IDLE - 30_000);
    const api = await call(file.world, jar, '/api/me');
    expect(api.status).toBe(200);
    // The app's own routes slide it too; in cookie mode sessionMiddleware re-sends the cookie.
    expect(api.headers.getSetCookie().length).toBe(kind === 'cookie' ? 1 : 0);
    const slid = await session(jar);
    expect(slid.status).toBe(200);
    expect(slid.expiresAt).toBeGreaterThan(deadline + 0.8 * IDLE);

    // Past the original deadline it is alive, and sliding again.
    clock.advance(0.2 * IDLE);
    expect(clock.now()).toBeGreaterThan(deadline);
    const later = await session(jar);
    expect(later.status).toBe(200);
    if (kind === 'cookie') expect(later.renewed).toBe(true);

    // Unused past the idle timeout: over, through both routes and the API.
    const revocations = file.world.provider.count('revocation');
    clock.advance(IDLE + 1_000);
    expect((await session(jar)).status).toBe(401);
    expect((await call(file.world, jar, '/api/me')).status).toBe(401);
    expect((await call(file.world, `${SESSION_COOKIE}=${stale}`, '/auth/session')).status).toBe(401);
    if (kind !== 'cookie') {
      // Its tokens go with it: `t:` lives no longer than `s:`.
      await eventually('the expired session and its tokens leave the store', async () => (await opened.raw(await storeKey(stale, 's'))) === undefined && (await opened.raw(await storeKey(stale, 't'))) === undefined);
    }
    // Redis TTLs run on real time, so there the server's own clock finds the session expired first: it
    // also revokes the refresh token. (The memory store shares the fake clock and drops both entries itself.)
    if (kind === 'redis') await eventually('the refresh token is revoked, once', async () => file.world.provider.count('revocation') === revocations + 1);
  }, 15_000);

  test('absolute: the session ends at its absolute deadline even when used continuously', async () => {
    const { jar } = await login(file.world);
    const start = (await session(jar)).expiresAt as number;
    const absolute = start - IDLE + ABSOLUTE;
    let capped = 0;
    while (clock.now() + 300_000 < absolute) {
      clock.advance(300_000);
      const used = await session(jar);
      expect(used.status).toBe(200);
      // Each use slides the idle deadline, but never past the absolute one.
      const idleDeadline = clock.now() + IDLE;
      if (idleDeadline >= absolute) capped++;
      if (idleDeadline >= absolute) expect(used.expiresAt).toBe(absolute);
      else expect(Math.abs((used.expiresAt as number) - idleDeadline)).toBeLessThan(5_000);
    }
    expect(capped).toBeGreaterThan(0);
    // Used a moment ago, within the idle timeout, and still: over at the absolute deadline.
    clock.advance(absolute - clock.now() - 10_000);
    expect((await session(jar)).status).toBe(200);
    clock.advance(10_000);
    expect(clock.now()).toBeGreaterThanOrEqual(absolute);
    expect((await session(jar)).status).toBe(401);
    expect((await call(file.world, jar, '/api/me')).status).toBe(401);
  });
});
