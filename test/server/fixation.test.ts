// Session fixation: a session cookie the browser already carries before login (chosen by an attacker,
// or a real one from an earlier login) is never promoted; the login sets a new id and the old one ends.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SESSION_COOKIE, call, login, sessionCookie, storeKey, type App } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';
import { CookieJar } from '../support/fetch-login.mjs';

const file = worldForFile();
const redis = file.redis;

function jarWith(value: string): CookieJar {
  const jar = new CookieJar();
  jar.cookies.set(SESSION_COOKIE, value);
  return jar;
}

describe.each(['memory', 'redis'] as const)('fixation with the %s store', (kind) => {
  let opened: OpenStore;
  let app: App;
  beforeAll(async () => {
    opened = await openKind(kind, redis);
    app = await file.world.startApp({ store: opened.store });
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  test('an attacker-chosen id is replaced at login and stays invalid', async () => {
    const planted = 'A'.repeat(43);
    const { jar } = await login(file.world, '/home', { jar: jarWith(planted) });
    const id = sessionCookie(jar);
    expect(id).not.toBe(planted);
    expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
    expect((await call(file.world, `${SESSION_COOKIE}=${planted}`, '/auth/session')).status).toBe(401);
    expect(await opened.raw(await storeKey(planted, 's'))).toBeUndefined();
  });

  test('a previously valid id is replaced at login and ends', async () => {
    const earlier = sessionCookie((await login(file.world)).jar);
    expect((await call(file.world, `${SESSION_COOKIE}=${earlier}`, '/auth/session')).status).toBe(200);
    const { jar } = await login(file.world, '/home', { jar: jarWith(earlier) });
    const id = sessionCookie(jar);
    expect(id).not.toBe(earlier);
    expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
    expect((await call(file.world, `${SESSION_COOKIE}=${earlier}`, '/auth/session')).status).toBe(401);
    expect((await call(file.world, `${SESSION_COOKIE}=${earlier}`, '/api/me')).status).toBe(401);
    expect(await opened.raw(await storeKey(earlier, 's'))).toBeUndefined();
    expect(await opened.raw(await storeKey(earlier, 't'))).toBeUndefined();
  });
});

describe('fixation with the cookie store', () => {
  let opened: OpenStore;
  let app: App;
  beforeAll(async () => {
    opened = await openKind('cookie', redis);
    app = await file.world.startApp({ store: opened.store });
  });
  afterAll(() => app?.close());

  test('a planted cookie (garbage or an earlier real one) is replaced at login', async () => {
    const earlier = sessionCookie((await login(file.world)).jar);
    for (const planted of ['A'.repeat(43), earlier]) {
      const { jar } = await login(file.world, '/home', { jar: jarWith(planted) });
      expect(sessionCookie(jar)).not.toBe(planted);
      expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
    }
    // Stateless: the earlier cookie cannot be revoked server-side and stays valid until it expires.
  });
});
