// Cross-site request forgery on the state-changing and token routes: each refused attempt answers 403
// and leaves the session (and its tokens) untouched; GET on logout is not a logout.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, login, sessionCookie, storedTokens, type App } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';
import type { CookieJar } from '../support/fetch-login.mjs';

const file = worldForFile();
const redis = file.redis;

/** Header sets a cross-site page (or a careless client) could send, each missing one of the checks. */
function refused(appOrigin: string): [string, Record<string, string>][] {
  return [
    ['no x-oidc-session header', { origin: appOrigin, 'sec-fetch-site': 'same-origin' }],
    ['x-oidc-session: 0', { 'x-oidc-session': '0', origin: appOrigin, 'sec-fetch-site': 'same-origin' }],
    ['a foreign Origin', { 'x-oidc-session': '1', origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }],
    ['Origin: null', { 'x-oidc-session': '1', origin: 'null' }],
    ['the app origin on another port', { 'x-oidc-session': '1', origin: appOrigin.replace(/:\d+$/, ':1') }],
    ['Sec-Fetch-Site: cross-site', { 'x-oidc-session': '1', origin: appOrigin, 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'x-oidc-session': '1', 'sec-fetch-site': 'same-site' }],
  ];
}

describe.each(['memory', 'redis'] as const)('CSRF checks with the %s store', (kind) => {
  let opened: OpenStore;
  let app: App;
  let jar: CookieJar;
  beforeAll(async () => {
    opened = await openKind(kind, redis);
    app = await file.world.startApp({ store: opened.store, tokenRoute: true });
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  async function expectIntact(id: string, accessToken: string | undefined) {
    expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
    expect(sessionCookie(jar)).toBe(id);
    expect((await storedTokens(opened.raw, id))?.accessToken).toBe(accessToken);
  }

  test('POST logout: every refused attempt is a 403 and the session lives on; the real one works', async () => {
    ({ jar } = await login(file.world));
    const id = sessionCookie(jar);
    const accessToken = (await storedTokens(opened.raw, id))?.accessToken;
    const revocations = file.world.provider.count('revocation');
    for (const [what, headers] of refused(file.world.appOrigin)) {
      const response = await call(file.world, jar, '/auth/logout', { method: 'POST', headers });
      expect(response.status, what).toBe(403);
      expect(response.body, what).toEqual({ error: 'csrf_check_failed' });
      expect(response.headers.getSetCookie(), what).toEqual([]);
      await expectIntact(id, accessToken);
    }
    const get = await call(file.world, jar, '/auth/logout', { csrf: true });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await expectIntact(id, accessToken);
    expect(file.world.provider.count('revocation')).toBe(revocations);

    // Positive control: the same request with every check satisfied logs out.
    expect((await call(file.world, jar, '/auth/logout', { method: 'POST', csrf: true })).status).toBe(200);
    expect((await call(file.world, `__Host-oidc-session=${id}`, '/auth/session')).status).toBe(401);
  });

  test('GET token: every refused attempt is a 403 without a token; the header alone (no browser headers) works', async () => {
    ({ jar } = await login(file.world));
    const id = sessionCookie(jar);
    const accessToken = (await storedTokens(opened.raw, id))?.accessToken;
    for (const [what, headers] of refused(file.world.appOrigin)) {
      const response = await call(file.world, jar, '/auth/token', { headers });
      expect(response.status, what).toBe(403);
      expect(JSON.stringify(response.body), what).not.toContain(accessToken);
      await expectIntact(id, accessToken);
    }
    const ok = await call(file.world, jar, '/auth/token', { headers: { 'x-oidc-session': '1' } });
    expect(ok.status).toBe(200);
    expect((ok.body as { accessToken: string }).accessToken).toBe(accessToken);
  });
});
