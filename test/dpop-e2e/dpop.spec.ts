// oidc-session/dpop in real browsers against oidc-provider with DPoP required: the key stays
// non-extractable in IndexedDB, every request carries a fresh proof the resource server verifies,
// tabs share one key and one refresh, logout takes the key, and a lost key ends the session once.
import { APP_PATH, expect, openApp, openTab, setOptions, signIn, storedKeys, storedText, test } from './fixtures.js';

test.describe('DPoP against oidc-provider', () => {
  test('DP-03: signs in with a non-extractable P-256 key kept as a CryptoKey, never as JWK', async ({ page, world }) => {
    await setOptions(page, world, {});
    expect(await signIn(page, world)).toMatchObject({ ok: true, sub: 'ada' });
    const keys = await storedKeys(page);
    // One key, now named by the tokens it is bound to (access and refresh token): the login's pending entry is gone.
    expect(keys.map((k) => k.name.split(':')[0]).sort()).toEqual(['token', 'token']);
    for (const key of keys) expect(key).toMatchObject({ extractable: false, type: 'private', algorithm: 'P-256', exportError: 'InvalidAccessError' });
    expect(await storedText(page)).not.toMatch(/"d"\s*:/);
    // The provider bound the tokens to the key (DPoP token type), and the resource server accepts them with a proof.
    const grant = world.stack.provider.requests.filter((r) => r.route === 'token');
    expect(grant.map((r) => r.status)).toEqual([200]);
    const me = await page.evaluate((url) => (window as any).callApi(url), world.rs.origin + '/api/me');
    expect(me).toMatchObject({ ok: true, status: 200 });
    expect(JSON.parse(me.body)).toMatchObject({ sub: 'ada', scheme: 'DPoP' });
  });

  test('DP-02/DP-04: the resource server demands a nonce once; each request has its own proof with ath and htu', async ({ page, world }) => {
    await setOptions(page, world, {});
    await signIn(page, world);
    const before = world.rs.log.length;
    const results = await page.evaluate(async (origin) => {
      const call = (window as any).callApi;
      return [await call(origin + '/api/me?x=1#f'), await call(origin + '/api/echo', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } })];
    }, world.rs.origin);
    expect(results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
    const hits = world.rs.log.slice(before).filter((e) => e.method !== 'OPTIONS');
    // The first call met the nonce challenge and was sent once more; the second knew the nonce.
    expect(hits.map((e) => e.status)).toEqual([401, 200, 200]);
    expect(hits[0]?.error).toBe('use_dpop_nonce');
    const jtis = hits.map((e) => e.proofPayload?.jti);
    expect(new Set(jtis).size).toBe(3);
    expect(hits.map((e) => e.proofPayload?.htu)).toEqual([world.rs.origin + '/api/me', world.rs.origin + '/api/me', world.rs.origin + '/api/echo']);
    expect(JSON.parse(results[1].body).body).toEqual({ n: 1 });
    expect(hits.every((e) => e.scheme === 'DPoP' && typeof e.proofPayload?.ath === 'string')).toBe(true);
  });

  test('logout deletes the key bound to the session', async ({ page, world }) => {
    await setOptions(page, world, {});
    await signIn(page, world);
    expect(await storedKeys(page)).toHaveLength(2);
    await page.evaluate(() => void (window as any).client.logout());
    await page.waitForURL((url) => url.origin === world.stack.provider.issuer);
    await openApp(page, world);
    expect(await storedKeys(page)).toEqual([]);
  });

  test('DP-06: a key lost between page loads ends the session at its refresh, once, and a new login works', async ({ page, world }) => {
    await setOptions(page, world, {});
    await signIn(page, world);
    // From a page of the origin that holds no connection to the database (the app's would block the deletion).
    await page.goto(world.stack.app.origin + '/dpop/no-such-page');
    await page.evaluate(() => new Promise((resolve, reject) => Object.assign(indexedDB.deleteDatabase('oidc-session-dpop'), { onsuccess: resolve, onblocked: reject })));
    await openApp(page, world);
    const refreshesBefore = world.stack.provider.count('token', 'refresh_token');
    const result = await page.evaluate(async (url) => {
      (window as any).skewMs = 120_000; // the token is past due: the next call renews it
      return (window as any).callApi(url);
    }, world.rs.origin + '/api/me');
    expect(result).toMatchObject({ ok: false, name: 'LoginRequiredError' });
    // No refresh token was sent without its key, and the resource server saw nothing.
    expect(world.stack.provider.count('token', 'refresh_token')).toBe(refreshesBefore);
    const events = await page.evaluate(() => (window as any).events.filter((e: { type: string }) => e.type === 'logout'));
    expect(events).toEqual([{ type: 'logout', reason: 'expired', remote: false }]);
    await page.evaluate(() => ((window as any).skewMs = 0));
    expect(await signIn(page, world)).toMatchObject({ ok: true });
    expect((await page.evaluate((url) => (window as any).callApi(url), world.rs.origin + '/api/me')).status).toBe(200);
  });
});

test.describe('DPoP key storage', () => {
  test('with memoryStorage and keys in memory: the login completes, calls carry proofs, no key stays in IndexedDB', async ({ page, world }) => {
    await setOptions(page, world, { storage: 'memory', shareSessionAcrossTabs: false, dpopOptions: { keyStorage: 'memory' } });
    expect(await signIn(page, world)).toMatchObject({ ok: true });
    const me = await page.evaluate((url) => (window as any).callApi(url), world.rs.origin + '/api/me');
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).scheme).toBe('DPoP');
    // The login's key waited in IndexedDB across the redirect, then moved to memory.
    expect(await storedKeys(page)).toEqual([]);
  });

  test('a key that cannot be stored fails login() before the browser leaves, with a typed error and no pending login', async ({ page, world }) => {
    await setOptions(page, world, {});
    await page.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('blocked for the test', 'SecurityError');
      };
    });
    await openApp(page, world);
    const result = await page.evaluate(() => (window as any).client.login().then(() => ({ ok: true }), (window as any).describe));
    expect(result).toMatchObject({ ok: false, name: 'StorageError', code: 'storage_unavailable', isAuthError: true });
    expect(new URL(page.url()).pathname).toBe(APP_PATH);
    const pending = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes(':txn:')));
    expect(pending).toEqual([]);
    expect(world.stack.provider.requests.filter((r) => r.route === 'authorization')).toEqual([]);
  });
});
