import { createHash } from 'node:crypto';
import type { Page } from '@playwright/test';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import { expect, expectNoTokensStored, expectRejectClean, login, misbehave, openApp, setAppOptions, stateOf, storedText, test } from './fixtures.js';
import type { Hit, RawResponse } from './provider.js';
import type { HostileWorld } from './server.js';

// I. DPoP (RFC 9449): oidc-session/dpop and oidc-session/fetch against op.test, which verifies every
// proof at its token endpoint (signature, htm, htu, iat, jti, nonce, the code's dpop_jkt, the refresh
// token's key), and rs.test, an API that verifies the proofs of resource calls (ath and the token's key too).

const SESSION = 'oidc-session:v1:spa:session';
const KEY_DB = 'oidc-session-dpop';

/** Turns DPoP on for the app's pages (`dpop(options)` from oidc-session/dpop), and opens the app with it. */
async function useDpop(page: Page, world: HostileWorld, options: object = {}): Promise<void> {
  await setAppOptions(page, world, { dpop: options });
  await openApp(page, world);
}
const storedSession = (page: Page) => page.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? 'null'), SESSION);
const refresh = (page: Page) =>
  page.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }).then((t: string) => ({ ok: true, token: t }), (window as any).describe));
const accessToken = (page: Page) => page.evaluate(() => (window as any).client.getAccessToken().then((t: string) => ({ ok: true, token: t }), (window as any).describe));
/** A call to rs.test through authFetch(client); resolves with `{ ok, status, body }` or the error described. */
const callApi = (page: Page, world: HostileWorld, path: string, init?: RequestInit) =>
  page.evaluate(([url, i]) => (window as any).callApi(url, i), [world.rs.origin + path, init] as const);
const logouts = (page: Page) => page.evaluate(() => (window as any).events.filter((e: { type: string }) => e.type === 'logout'));
const tokenHits = (world: HostileWorld, grant?: string) => world.op.hits.filter((h) => h.endpoint === 'token' && (grant === undefined || h.body?.get('grant_type') === grant));
const authorizeParams = (world: HostileWorld) => world.op.hits.filter((h) => h.endpoint === 'authorize').map((h) => new URL(h.url).searchParams);
const payloadOf = (hit: Pick<Hit, 'dpop'>) => decodeJwt(hit.dpop as string);
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const bearer = (grant: string) => (json: Record<string, unknown>, g: string | null) => (g === grant ? { ...json, token_type: 'Bearer' } : json);

/** The thumbprint of a key that is not the app's: what an attacker's login binds its code to. */
async function foreignJkt(): Promise<string> {
  const { publicKey } = await generateKeyPair('ES256');
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

/**
 * Everything the origin keeps in IndexedDB, every database: the names of the entries per database,
 * each CryptoKey found in a value (what it says of itself, and what exporting its private part does),
 * and how many raw binary values there are (a PKCS8 or raw key would be one).
 */
function scanIndexedDb(page: Page) {
  return page.evaluate(async () => {
    const names: Record<string, string[]> = {};
    const keys: { type: string; extractable: boolean; curve?: string; jwk?: string; pkcs8?: string }[] = [];
    let binaries = 0;
    const walk = async (value: unknown): Promise<void> => {
      if (value instanceof CryptoKey) {
        const error = (format: 'jwk' | 'pkcs8') => crypto.subtle.exportKey(format, value).then(() => 'exported', (e: Error) => e.name);
        keys.push({
          type: value.type,
          extractable: value.extractable,
          curve: (value.algorithm as EcKeyAlgorithm).namedCurve,
          ...(value.type === 'private' ? { jwk: await error('jwk'), pkcs8: await error('pkcs8') } : {}),
        });
      } else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) || value instanceof Blob) {
        binaries++;
      } else if (value instanceof Map) {
        for (const [k, v] of value) await walk(k), await walk(v);
      } else if (value && typeof value === 'object') {
        for (const v of Object.values(value)) await walk(v);
      }
    };
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name as string);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const read = <T,>(use: (s: IDBObjectStore) => IDBRequest<T>) =>
          new Promise<T>((resolve, reject) => {
            const request = use(db.transaction(store).objectStore(store));
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
        names[`${info.name}/${store}`] = ((await read((s) => s.getAllKeys())) as IDBValidKey[]).map(String);
        for (const value of await read((s) => s.getAll())) await walk(value);
      }
      db.close();
    }
    return { names, keys, binaries };
  });
}

/** Deletes the DPoP key database from a page of the origin that holds no connection to it (the app's would block it). */
async function deleteKeys(page: Page, world: HostileWorld): Promise<void> {
  await page.goto(`${world.app}/no-such-page`);
  await page.evaluate(
    (name) =>
      new Promise((resolve, reject) => Object.assign(indexedDB.deleteDatabase(name), { onsuccess: resolve, onerror: reject, onblocked: () => reject(new Error('blocked')) })),
    KEY_DB,
  );
}

/** Replaces the key of every stored entry with a new key pair: the tokens are now in the hands of a key the provider never saw. */
async function replaceKeys(page: Page): Promise<void> {
  await page.evaluate(async (name) => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const db = await new Promise<IDBDatabase>((resolve, reject) => Object.assign(indexedDB.open(name), { onsuccess(this: IDBOpenDBRequest) { resolve(this.result); }, onerror: reject }));
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('keys', 'readwrite');
      const store = tx.objectStore('keys');
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return;
        c.update({ ...c.value, pair });
        c.continue();
      };
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, KEY_DB);
}

test.describe('DP-01 nonce challenge at the token endpoint', () => {
  test('DP-01 400 use_dpop_nonce with DPoP-Nonce n1: one retry with n1 and a new jti (the code sent twice), then signed in; the nonce is kept for op.test only', async ({ page, world }) => {
    await useDpop(page, world);
    misbehave(world.op, { dpopNonce: 'demand' });
    expect(await login(page, world)).toMatchObject({ ok: true, sub: 'alice' });
    const exchanges = tokenHits(world);
    expect(exchanges).toHaveLength(2);
    expect(exchanges[0]?.dpopNonce, 'the first proof was challenged').toBe('n1');
    const [first, second] = exchanges.map(payloadOf);
    expect(first?.nonce).toBeUndefined();
    expect(second?.nonce).toBe('n1');
    expect(second?.jti).not.toBe(first?.jti);
    // The only permitted resend: the same code, the same verifier.
    expect(exchanges[1]?.body?.get('code')).toBe(exchanges[0]?.body?.get('code'));
    expect(exchanges.every((h) => h.dpopError === undefined)).toBe(true);
    expect((await stateOf(page)).status).toBe('authenticated');
    expect((await storedSession(page))?.tokenType).toBe('dpop');

    // The nonce is op.test's: rs.test's first proof carries none of it, and the next refresh needs no challenge.
    world.rs.scenario = { nonce: 'demand' };
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    expect(world.rs.log.map((e) => e.proofPayload?.nonce)).toEqual([undefined, 'r1']);
    expect(await refresh(page)).toMatchObject({ ok: true });
    const refreshes = tokenHits(world, 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(payloadOf(refreshes[0] as Hit).nonce).toBe('n1');
    expect(refreshes[0]?.dpopNonce).toBeUndefined();
  });

  test('DP-01 loop: every answer demands a new nonce: two token requests, then a typed error, nothing stored', async ({ page, world }) => {
    await useDpop(page, world);
    misbehave(world.op, { dpopNonce: 'rotate' });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'OAuthError', error: 'use_dpop_nonce' }, { tokenRequests: 2 });
    const [first, second] = tokenHits(world).map(payloadOf);
    expect(first?.nonce).toBeUndefined();
    expect(second?.nonce).toBe('n1');
    expect(second?.jti).not.toBe(first?.jti);
    expect(world.op.issued).toEqual([]);
    expect(await storedSession(page)).toBeNull();
  });
});

test.describe('DP-02 resource-server nonce and scheme case', () => {
  test('DP-02 401 `dpop error="use_dpop_nonce"` (lower-case scheme) with DPoP-Nonce: one retry with the nonce; 2 hits on rs.test', async ({ page, world }) => {
    await useDpop(page, world);
    expect(await login(page, world)).toMatchObject({ ok: true });
    world.rs.scenario = { nonce: 'demand', challengeScheme: 'dpop' };
    const result = await callApi(page, world, '/api/me');
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(JSON.parse(result.body)).toEqual({ sub: 'alice', scheme: 'DPoP' });
    expect(world.rs.log.map((e) => [e.status, e.error])).toEqual([[401, 'use_dpop_nonce'], [200, undefined]]);
    const [first, second] = world.rs.log.map((e) => e.proofPayload);
    expect(first?.nonce).toBeUndefined();
    expect(second?.nonce).toBe('r1');
    expect(second?.jti).not.toBe(first?.jti);
    // Known now: the next call needs no challenge.
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    expect(world.rs.log).toHaveLength(3);
    expect(world.op.count('token', 'refresh_token')).toBe(0);
  });

  // authFetch documents that it reads the body once up front "so either retry can send it again".
  for (const [label, scenario] of [
    ['the nonce retry', { nonce: 'demand', challengeScheme: 'dpop' }],
    ['the retry after invalid_token and a refresh', 'invalid-token-once'],
  ] as const) {
    test(`DP-02 a POST with a JSON body: ${label} sends the same body again; 2 hits on rs.test`, async ({ page, world }) => {
      await useDpop(page, world);
      expect(await login(page, world)).toMatchObject({ ok: true });
      const first = (await accessToken(page)).token as string;
      world.rs.scenario = scenario === 'invalid-token-once' ? { invalidToken: (token) => token === first } : scenario;
      const result = await callApi(page, world, '/api/echo', { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
      expect(result, 'what authFetch resolved with').toMatchObject({ ok: true, status: 200 });
      expect(JSON.parse(result.body)).toEqual({ sub: 'alice', scheme: 'DPoP', body: { n: 1 } });
      expect(world.rs.log.map((e) => e.status)).toEqual([401, 200]);
      expect(world.rs.log[1]?.proofPayload?.jti).not.toBe(world.rs.log[0]?.proofPayload?.jti);
    });
  }

  test('DP-02 loop: a new nonce demanded every time: 2 hits on rs.test, the 401 handed to the app, no refresh', async ({ page, world }) => {
    await useDpop(page, world);
    expect(await login(page, world)).toMatchObject({ ok: true });
    world.rs.scenario = { nonce: 'rotate', challengeScheme: 'dpop' };
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 401 });
    expect(world.rs.log.map((e) => e.error)).toEqual(['use_dpop_nonce', 'use_dpop_nonce']);
    expect(world.rs.log[1]?.proofPayload?.nonce).toBe('r1');
    expect(world.op.count('token', 'refresh_token')).toBe(0);
  });

  test('DP-02 401 `DPoP error="invalid_token"`: one refresh, then one retry with the new token; 2 hits on rs.test', async ({ page, world }) => {
    await useDpop(page, world);
    expect(await login(page, world)).toMatchObject({ ok: true });
    const revoked = (await accessToken(page)).token as string;
    world.rs.scenario = { invalidToken: (token) => token === revoked };
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    expect(world.rs.log.map((e) => [e.status, e.error])).toEqual([[401, 'invalid_token'], [200, undefined]]);
    expect(world.rs.log[0]?.token).toBe(revoked);
    expect(world.rs.log[1]?.token).not.toBe(revoked);
    expect(world.rs.log[1]?.scheme).toBe('DPoP');
    expect(world.op.count('token', 'refresh_token')).toBe(1);
    expect(tokenHits(world, 'refresh_token')[0]?.dpop, 'the refresh carried a proof').toBeTruthy();
  });

  test('DP-02 invalid_token every time: one refresh, 2 hits on rs.test, the 401 handed to the app', async ({ page, world }) => {
    await useDpop(page, world);
    expect(await login(page, world)).toMatchObject({ ok: true });
    world.rs.scenario = { invalidToken: () => true };
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 401 });
    expect(world.rs.log.map((e) => e.error)).toEqual(['invalid_token', 'invalid_token']);
    expect(world.op.count('token', 'refresh_token')).toBe(1);
    expect((await stateOf(page)).status).toBe('authenticated');
  });
});

test('DP-03 the private key is a non-extractable CryptoKey in IndexedDB: export rejects (InvalidAccessError), no JWK or PKCS8 in any store', async ({ page, world }) => {
  await useDpop(page, world);
  expect(await login(page, world)).toMatchObject({ ok: true });
  // Once more across a page load: what stays stored is what counts.
  await openApp(page, world);
  expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
  const { names, keys, binaries } = await scanIndexedDb(page);
  // The key, named by the two tokens bound to it; the login's pending entry gone.
  expect(names[`${KEY_DB}/keys`]?.map((n) => n.split(':')[0])).toEqual(['token', 'token']);
  const privateKeys = keys.filter((k) => k.type === 'private');
  expect(privateKeys.length).toBeGreaterThan(0);
  for (const key of privateKeys) expect(key).toEqual({ type: 'private', extractable: false, curve: 'P-256', jwk: 'InvalidAccessError', pkcs8: 'InvalidAccessError' });
  expect(binaries, 'raw key bytes in IndexedDB').toBe(0);
  // Web storage, every IndexedDB database and CacheStorage, as text.
  const text = await storedText(page);
  expect(text).toContain(`idb:${KEY_DB}`);
  expect(text, 'a private JWK member').not.toMatch(/"d"\s*:/);
  expect(text, 'a JWK').not.toMatch(/"kty"\s*:/);
  expect(text, 'PEM').not.toContain('-----BEGIN');
  // The base64 of a P-256 PKCS8 (and SEC1) private key's fixed prefix.
  expect(text, 'PKCS8').not.toMatch(/MIGHAgEAMBMGByqGSM49|MHcCAQEE/);
});

test('DP-04 every proof is fresh: unique jti, htm and htu without query or fragment, ath on resource calls, iat within 60 s, the nonce after a challenge', async ({ page, world }) => {
  await useDpop(page, world);
  misbehave(world.op, { dpopNonce: 'demand' });
  world.rs.scenario = { nonce: 'demand' };
  expect(await login(page, world)).toMatchObject({ ok: true });
  expect(await callApi(page, world, '/api/me?x=1&y=2#fragment')).toMatchObject({ ok: true, status: 200 });
  expect(await callApi(page, world, '/api/echo?q=1', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })).toMatchObject({ ok: true, status: 200 });
  expect(await refresh(page)).toMatchObject({ ok: true });
  expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
  // Headers for another HTTP client: a new proof each time, never a cached one.
  const headers = await page.evaluate((url) => Promise.all([(window as any).api.headers(url), (window as any).api.headers(url)]), `${world.rs.origin}/api/me?z=1`);
  expect(headers[0].dpop).not.toBe(headers[1].dpop);

  const opProofs = world.op.hits.filter((h) => h.endpoint === 'token');
  expect(opProofs.every((h) => typeof h.dpop === 'string'), 'every token request carries a proof').toBe(true);
  expect(world.rs.log.every((e) => typeof e.proof === 'string'), 'every resource call carries a proof').toBe(true);
  // Both servers verified each one: nothing refused but the nonce challenges (login, first API call).
  expect(opProofs.map((h) => h.dpopError ?? h.dpopNonce ?? 'ok')).toEqual(['n1', 'ok', 'ok']);
  expect(world.rs.log.map((e) => e.error ?? 'ok')).toEqual(['use_dpop_nonce', 'ok', 'ok', 'ok']);

  const proofs = [
    ...opProofs.map((h) => ({ url: h.url, method: h.method, at: h.at, token: undefined, header: decodeProtectedHeader(h.dpop as string), payload: payloadOf(h) })),
    ...world.rs.log.map((e) => ({ url: e.url, method: e.method, at: e.at, token: e.token, header: decodeProtectedHeader(e.proof as string), payload: decodeJwt(e.proof as string) })),
    ...headers.map((h: { dpop: string }) => ({ url: `${world.rs.origin}/api/me?z=1`, method: 'GET', at: Date.now(), token: undefined, header: decodeProtectedHeader(h.dpop), payload: decodeJwt(h.dpop) })),
  ];
  expect(new Set(proofs.map((p) => p.payload.jti)).size, 'duplicate jti').toBe(proofs.length);
  for (const p of proofs) {
    const target = new URL(p.url);
    expect(p.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(p.header.jwk as JWK).not.toHaveProperty('d');
    expect(p.payload.htm).toBe(p.method);
    expect(p.payload.htu).toBe(target.origin + target.pathname);
    expect(String(p.payload.htu)).not.toMatch(/[?#]/);
    expect(Math.abs((p.payload.iat as number) - p.at / 1000)).toBeLessThanOrEqual(60);
    if (p.token !== undefined) expect(p.payload.ath).toBe(sha256(p.token));
  }
  expect(opProofs.map((h) => payloadOf(h).ath)).toEqual([undefined, undefined, undefined]);
  // The nonce after each server's challenge, and on every later proof to that server.
  expect(opProofs.map((h) => payloadOf(h).nonce)).toEqual([undefined, 'n1', 'n1']);
  expect(world.rs.log.map((e) => e.proofPayload?.nonce)).toEqual([undefined, 'r1', 'r1', 'r1']);
  // One key for the whole session.
  expect(new Set(await Promise.all(proofs.map((p) => calculateJwkThumbprint(p.header.jwk as JWK)))).size).toBe(1);
});

// src/dpop/index.ts (dpop()'s doc) and token-requests.ts promise a proof on "the revocation at logout"
// too: the refresh token it revokes is bound to the session's key (RFC 9449 §5).
test('DP-04 the revocation at logout carries a fresh proof of the session key', async ({ page, world }) => {
  await useDpop(page, world);
  expect(await login(page, world)).toMatchObject({ ok: true });
  const { refreshToken } = await storedSession(page);
  await page.evaluate(() => void (window as any).client.logout());
  // The page does not wait for the revocation's answer: wait until its proof has been checked.
  await expect.poll(() => world.op.handledHits('revoke').length).toBe(1);
  expect(world.op.count('revoke')).toBe(1);
  const revocation = world.op.handledHits('revoke')[0] as Hit;
  expect(revocation.body?.get('token')).toBe(refreshToken);
  expect(revocation.dpop, 'the revocation carries a DPoP proof').toBeTruthy();
  expect(revocation.dpopError).toBeUndefined();
  expect(revocation.dpopJkt).toBe(authorizeParams(world)[0]?.get('dpop_jkt'));
  expect(payloadOf(revocation)).toMatchObject({ htm: 'POST', htu: `${world.op.issuer}/revoke` });
});

test.describe('DP-05 downgrade to Bearer', () => {
  test('DP-05 token_type Bearer at the code exchange, DPoP required: ProtocolError, nothing stored', async ({ page, world }) => {
    await useDpop(page, world);
    misbehave(world.op, { tokenJson: bearer('authorization_code') });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'invalid_token_response' }, { tokenRequests: 1 });
    expect(tokenHits(world)[0]?.dpop, 'the exchange carried a proof').toBeTruthy();
    expect(await storedSession(page)).toBeNull();
    const { names } = await scanIndexedDb(page);
    expect((names[`${KEY_DB}/keys`] ?? []).filter((n) => n.startsWith('token:')), 'a key bound to the refused tokens').toEqual([]);
  });

  test('DP-05 token_type Bearer at the refresh, DPoP required: ProtocolError, the session unchanged', async ({ page, world }) => {
    await useDpop(page, world);
    expect(await login(page, world)).toMatchObject({ ok: true });
    const before = await storedSession(page);
    const keysBefore = (await scanIndexedDb(page)).names;
    misbehave(world.op, { tokenJson: bearer('refresh_token') });
    expect(await refresh(page)).toMatchObject({ ok: false, name: 'ProtocolError', code: 'invalid_token_response', isAuthError: true });
    expect(world.op.count('token', 'refresh_token')).toBe(1);
    expect(await storedSession(page)).toEqual(before);
    expect((await scanIndexedDb(page)).names).toEqual(keysBefore);
    expect((await stateOf(page)).status).toBe('authenticated');
    expect(await accessToken(page)).toEqual({ ok: true, token: before.accessToken });
    // The refused Bearer tokens are nowhere.
    const stored = await storedText(page);
    for (const token of world.op.issued.slice(-2)) expect(stored.includes(token)).toBe(false);
    // And the session's own token still goes out as DPoP.
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    expect(world.rs.log.map((e) => [e.scheme, e.token])).toEqual([['DPoP', before.accessToken]]);
  });

  test('DP-05 allowBearer: a downgrade at the code exchange is used with the Bearer scheme, without a proof', async ({ page, world }) => {
    await useDpop(page, world, { allowBearer: true });
    misbehave(world.op, { tokenJson: bearer('authorization_code') });
    expect(await login(page, world)).toMatchObject({ ok: true });
    expect(tokenHits(world)[0]?.dpop).toBeTruthy();
    expect((await storedSession(page))?.tokenType).toBe('bearer');
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    expect(world.rs.log.map((e) => [e.scheme, e.proof, e.status])).toEqual([['Bearer', undefined, 200]]);
  });

  test('DP-05 allowBearer: a downgrade at the refresh switches to Bearer; a Bearer token is never sent under the DPoP scheme', async ({ page, world }) => {
    await useDpop(page, world, { allowBearer: true });
    expect(await login(page, world)).toMatchObject({ ok: true });
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    misbehave(world.op, { tokenJson: bearer('refresh_token') });
    expect(await refresh(page)).toMatchObject({ ok: true });
    expect((await storedSession(page))?.tokenType).toBe('bearer');
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    // Bound again when the provider binds again.
    misbehave(world.op, {});
    expect(await refresh(page)).toMatchObject({ ok: true });
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
    expect(world.rs.log.map((e) => [e.scheme, e.status, Boolean(e.proof)])).toEqual([
      ['DPoP', 200, true],
      ['Bearer', 200, false],
      ['DPoP', 200, true],
    ]);
    for (const entry of world.rs.log) {
      const bound = Boolean(world.op.accessTokens.get(entry.token as string)?.jkt);
      expect(entry.scheme, 'the scheme of the token as issued').toBe(bound ? 'DPoP' : 'Bearer');
    }
  });
});

test.describe('DP-06 key loss and code binding', () => {
  test('DP-06 the key deleted between page loads: the session ends once, the refresh token never sent without its proof, one new login with a new dpop_jkt', async ({ page, world }) => {
    await useDpop(page, world);
    expect(await login(page, world)).toMatchObject({ ok: true });
    const oldJkt = authorizeParams(world)[0]?.get('dpop_jkt');
    const { refreshToken } = await storedSession(page);
    await deleteKeys(page, world);
    await openApp(page, world);
    // The tokens are still there; the key is not.
    expect((await stateOf(page)).status).toBe('authenticated');
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: false, name: 'LoginRequiredError', isAuthError: true });
    expect(world.rs.log, 'a bound token sent without its proof (or as Bearer)').toEqual([]);
    expect(await refresh(page)).toMatchObject({ ok: false, name: 'LoginRequiredError' });
    expect(await logouts(page)).toEqual([{ type: 'logout', reason: 'expired', remote: false }]);
    expect((await stateOf(page)).status).toBe('anonymous');
    expect(world.op.hits.filter((h) => h.body?.get('refresh_token') === refreshToken && !h.dpop), 'the bound refresh token sent without a proof').toEqual([]);
    expect(world.op.count('token', 'refresh_token')).toBeLessThanOrEqual(1);
    await expectNoTokensStored(page, world.op);
    // No loop: nothing starts a login by itself.
    expect(world.op.count('authorize')).toBe(1);
    expect(new URL(page.url()).origin).toBe(world.app);

    expect(await login(page, world)).toMatchObject({ ok: true });
    const authorizations = authorizeParams(world);
    expect(authorizations).toHaveLength(2);
    const newJkt = authorizations[1]?.get('dpop_jkt');
    expect(newJkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newJkt).not.toBe(oldJkt);
    expect(tokenHits(world, 'authorization_code').at(-1)?.dpopJkt).toBe(newJkt);
    expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: true, status: 200 });
  });

  for (const [label, answer] of [
    ['invalid_dpop_proof (another key signed)', undefined],
    ['invalid_grant', { status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_grant"}' }],
  ] as const) {
    test(`DP-06 the refresh answered ${label}: one failed refresh, the session ended once, no second attempt`, async ({ page, world }) => {
      await useDpop(page, world);
      expect(await login(page, world)).toMatchObject({ ok: true });
      if (answer) misbehave(world.op, { token: ({ grant }) => (grant === 'refresh_token' ? (answer as RawResponse) : undefined) });
      else await replaceKeys(page);
      await openApp(page, world);
      expect(await refresh(page)).toMatchObject({ ok: false, name: 'LoginRequiredError', isAuthError: true });
      expect(await refresh(page)).toMatchObject({ ok: false, name: 'LoginRequiredError' });
      expect(await callApi(page, world, '/api/me')).toMatchObject({ ok: false, name: 'LoginRequiredError' });
      const refreshes = tokenHits(world, 'refresh_token');
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0]?.dpop, 'the refresh carried a proof').toBeTruthy();
      if (!answer) expect(refreshes[0]?.dpopJkt).not.toBe(authorizeParams(world)[0]?.get('dpop_jkt'));
      expect(await logouts(page)).toEqual([{ type: 'logout', reason: 'expired', remote: false }]);
      expect((await stateOf(page)).status).toBe('anonymous');
      expect(world.rs.log).toEqual([]);
      await expectNoTokensStored(page, world.op);
      expect(world.op.count('authorize')).toBe(1);
    });
  }

  test('DP-06 an injected code bound to another dpop_jkt: the provider refuses it (invalid_grant), typed error, nothing stored', async ({ page, world }) => {
    await useDpop(page, world);
    const attackerJkt = await foreignJkt();
    misbehave(world.op, {
      // The attacker's code, minted for this very login (same PKCE challenge) but bound to the attacker's key.
      callback: (url, params) => {
        const forged = new URLSearchParams(params);
        forged.set('dpop_jkt', attackerJkt);
        url.searchParams.set('code', world.op.mintCode(forged, 'attacker'));
        return url.href;
      },
    });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'OAuthError', error: 'invalid_grant' }, { tokenRequests: 1 });
    const exchange = tokenHits(world)[0] as Hit;
    expect(exchange.dpopJkt).toBe(authorizeParams(world)[0]?.get('dpop_jkt'));
    expect(exchange.dpopJkt).not.toBe(attackerJkt);
    expect(await storedSession(page)).toBeNull();
  });

  test('DP-06 dpop_jkt on every authorization request: each login its own key, the one that signs its code exchange', async ({ page, world }) => {
    await useDpop(page, world);
    for (let i = 0; i < 3; i++) expect(await login(page, world)).toMatchObject({ ok: true });
    const jkts = authorizeParams(world).map((p) => p.get('dpop_jkt'));
    expect(jkts).toHaveLength(3);
    for (const jkt of jkts) expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(jkts).size).toBe(3);
    expect(tokenHits(world, 'authorization_code').map((h) => h.dpopJkt)).toEqual(jkts);
  });
});
