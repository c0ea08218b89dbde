// A read-only view of the store (a Redis dump, a replica, MONITOR) must not be a live session (issue 12 §1,
// "A read-only view of the store is a live session"). OWASP Session Management Cheat Sheet: the session id
// is the credential, so the server keeps only a keyed hash of it; RFC 5116 §2.1 / NIST SP 800-38D:
// each sealed entry carries its store key as additional authenticated data, so an entry copied or
// swapped to another key does not open. Siblings covered: the session entry, the tokens entry, the
// per-user index, the refresh lock key, and rotation of the server's secret.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SECRET, SESSION_COOKIE, call, login, sessionCookie, storeKey, storedTokens, type App } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';

const file = worldForFile();
const NEWER = 'a-newer-secret-a-newer-secret-a-newer-secret-42';

/** Every 43-character piece (the shape of a session id) of `text`. */
function idShapedPieces(text: string): string[] {
  const pieces = new Set<string>();
  for (const part of text.split(/[^\w-]/)) for (let i = 0; i + 43 <= part.length; i++) pieces.add(part.slice(i, i + 43));
  return [...pieces];
}

describe.each(['memory', 'redis'] as const)('store keys with the %s store', (kind) => {
  let opened: OpenStore;
  let app: App;
  beforeAll(async () => {
    opened = await openKind(kind, file.redis);
    app = await file.world.startApp({ store: opened.store, tokenRoute: true });
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  test('after a login, no store key or value contains the session cookie value', async () => {
    const { jar } = await login(file.world);
    const id = sessionCookie(jar);
    // The token route takes the refresh lock only when refreshing; force one so `l:` is covered too.
    expect((await call(file.world, jar, '/auth/token?forceRefresh=1', { csrf: true })).status).toBe(200);
    const keys = (await opened.keys?.()) as string[];
    // Not vacuous: the session's entries are there, under their derived keys.
    expect(keys).toEqual(expect.arrayContaining([await storeKey(id, 's'), await storeKey(id, 't')]));
    for (const key of keys) {
      expect(key).not.toContain(id);
      expect((await opened.raw(key)) ?? '').not.toContain(id);
    }
  });

  test('a store key, or any id-shaped piece of the dump, used as a cookie is no session (401)', async () => {
    const { jar } = await login(file.world);
    expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
    const dump: string[] = [];
    for (const key of (await opened.keys?.()) as string[]) dump.push(key, (await opened.raw(key)) ?? '');
    const pieces = dump.flatMap(idShapedPieces);
    expect(pieces.length).toBeGreaterThan(100);
    // Through HTTP for the keys themselves, in process for the thousands of pieces of values.
    for (const key of await opened.keys?.() as string[]) {
      expect((await call(file.world, `${SESSION_COOKIE}=${key.slice(2)}`, '/auth/session')).status).toBe(401);
    }
    for (const piece of pieces) expect(await app.server.getSession({ headers: { cookie: `${SESSION_COOKIE}=${piece}` } }), piece).toBeUndefined();
  });

  test("a session read is parsed once and shared: its user's claims cannot be changed for the next reader", async () => {
    const cookie = `${SESSION_COOKIE}=${sessionCookie((await login(file.world)).jar)}`;
    const first = await app.server.getSession({ headers: { cookie } });
    expect(first?.user.name).toBe('Ada');
    expect(() => void ((first!.user as { name?: unknown }).name = 'mallory')).toThrow(TypeError);
    const second = await app.server.getSession({ headers: { cookie } });
    expect(second?.user.name).toBe('Ada');
  });

  test('swapping the session entries of two sessions: neither opens, neither becomes the other', async () => {
    const a = sessionCookie((await login(file.world)).jar);
    const b = sessionCookie((await login(file.world)).jar);
    const [sa, sb] = [await storeKey(a, 's'), await storeKey(b, 's')];
    const [va, vb] = [await opened.raw(sa), await opened.raw(sb)];
    await opened.put(sa, vb as string);
    await opened.put(sb, va as string);
    for (const id of [a, b]) {
      const response = await call(file.world, `${SESSION_COOKIE}=${id}`, '/auth/session');
      expect(response.status).toBe(401);
    }
  });

  test('swapping the tokens entries of two sessions: neither gets the other one\'s tokens', async () => {
    const a = sessionCookie((await login(file.world)).jar);
    const b = sessionCookie((await login(file.world)).jar);
    const tokensOfB = (await storedTokens(opened.raw, b))?.accessToken as string;
    const [ta, tb] = [await storeKey(a, 't'), await storeKey(b, 't')];
    const [va, vb] = [await opened.raw(ta), await opened.raw(tb)];
    await opened.put(ta, vb as string);
    await opened.put(tb, va as string);
    const response = await call(file.world, `${SESSION_COOKIE}=${a}`, '/auth/token', { csrf: true });
    expect(JSON.stringify(response.body)).not.toContain(tokensOfB);
    expect(response.status).toBe(401);
    expect((await call(file.world, `${SESSION_COOKIE}=${b}`, '/auth/token', { csrf: true })).status).toBe(401);
  });

  test('a session entry copied to the tokens key (or back) does not open as the other purpose', async () => {
    const a = sessionCookie((await login(file.world)).jar);
    const [s, t] = [await storeKey(a, 's'), await storeKey(a, 't')];
    const [vs, vt] = [await opened.raw(s), await opened.raw(t)];
    await opened.put(t, vs as string);
    expect((await call(file.world, `${SESSION_COOKIE}=${a}`, '/auth/token', { csrf: true })).status).toBe(401);
    await opened.put(s, vt as string);
    expect((await call(file.world, `${SESSION_COOKIE}=${a}`, '/auth/session')).status).toBe(401);
  });

  test('rotation: a session created under the older secret is still found (tokens too) while that secret is listed', async () => {
    const { jar } = await login(file.world);
    const id = sessionCookie(jar);
    await app.close();
    app = await file.world.startApp({ store: opened.store, tokenRoute: true, secret: [NEWER, SECRET] });
    try {
      expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
      expect((await call(file.world, jar, '/auth/token?forceRefresh=1', { csrf: true })).status).toBe(200);
      // A login after the rotation is keyed under the newest secret.
      const fresh = sessionCookie((await login(file.world)).jar);
      expect(await opened.raw(await storeKey(fresh, 's', [NEWER]))).toBeDefined();
      expect(await opened.raw(await storeKey(fresh, 's', [SECRET]))).toBeUndefined();
      await app.close();
      // Once the old secret is dropped, its sessions are gone; the newer ones stay.
      app = await file.world.startApp({ store: opened.store, tokenRoute: true, secret: [NEWER] });
      expect((await call(file.world, jar, '/auth/session')).status).toBe(401);
      expect((await call(file.world, `${SESSION_COOKIE}=${fresh}`, '/auth/session')).status).toBe(200);
    } finally {
      await app.close();
      app = await file.world.startApp({ store: opened.store, tokenRoute: true });
    }
    expect(await opened.raw(await storeKey(id, 't'))).toBeDefined();
  });
});
