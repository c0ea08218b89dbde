// SessionServer.fetch without DPoP and across a change of the `dpop` option, against the real
// oidc-provider with DPoP optional for the session server's client (it binds tokens when a proof comes,
// issues Bearer ones otherwise) and the resource server of test/support/resource-server.mjs accepting
// both schemes. Without DPoP the helper sends Bearer and no proof; sessions whose tokens do not fit the
// server's setting (DPoP turned on, or off) are refreshed once before the call, never sent as they are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerTokens } from '../../src/server/relying-party.js';
import { dpopProviderConfig } from '../support/dpop-provider.mjs';
import type { CookieJar } from '../support/fetch-login.mjs';
import { startResourceServer } from '../support/resource-server.mjs';
import { CLIENT_ID, login, sessionCookie, startWorld, storedTokens, type App, type World } from './harness.js';
import { openStore, type OpenStore } from './stores.js';

let world: World;
let api: Awaited<ReturnType<typeof startResourceServer>>;
let store: OpenStore;
let app: App | undefined;
let jar: CookieJar;
const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;

beforeAll(async () => {
  world = await startWorld({ configureProvider: (configuration) => dpopProviderConfig(configuration, { clientId: CLIENT_ID, requireDPoP: false }) });
  api = await startResourceServer({ provider: world.provider.provider, issuer: world.provider.issuer, requireNonce: false, acceptBearer: true });
  store = await openStore('memory');
});
afterAll(async () => {
  await app?.close();
  await api?.close();
  await world?.close();
});

/** (Re)starts the app on the same store: sessions survive, as they would in Redis. */
async function restart(dpop: boolean): Promise<App> {
  await app?.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  app = await world.startApp({ store: store.store, ...(dpop ? { dpop: { keyPair } } : {}) });
  return app;
}
const requestFor = (cookies: CookieJar) => ({ headers: { cookie: cookies.header() } });
const tokens = () => storedTokens((key) => store.raw(key), sessionCookie(jar)) as Promise<ServerTokens>;
const refreshes = () => world.provider.count('token', 'refresh_token');

describe('without DPoP', () => {
  beforeAll(async () => {
    await restart(false);
    ({ jar } = await login(world));
  });

  it('sends Authorization: Bearer and no proof', async () => {
    expect((await tokens()).tokenType).toBe('bearer');
    api.log.length = 0;
    const response = await (app as App).server.fetch(requestFor(jar), api.url('/api/me'), { headers: { dpop: 'not-ours' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'ada', scheme: 'Bearer' });
    expect(api.log.map((entry) => [entry.scheme, entry.token, entry.proof])).toEqual([['Bearer', (await tokens()).accessToken, undefined]]);
  });

  it('refreshes once on invalid_token and sends the new Bearer token', async () => {
    const before = (await tokens()).accessToken;
    const count = refreshes();
    api.log.length = 0;
    api.respondNext(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }));
    const response = await (app as App).server.fetch(requestFor(jar), api.url('/api/me'));
    expect(response.status).toBe(200);
    expect(refreshes()).toBe(count + 1);
    const after = (await tokens()).accessToken;
    expect(after).not.toBe(before);
    expect(api.log.map((entry) => [entry.status, entry.token])).toEqual([
      [401, before],
      [200, after],
    ]);
  });

  it('gives a nonce challenge back as it is (there is no proof to renew)', async () => {
    api.log.length = 0;
    api.respondNext(() => ({ status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n' } }));
    const response = await (app as App).server.fetch(requestFor(jar), api.url('/api/me'));
    expect(response.status).toBe(401);
    expect(api.log).toHaveLength(1);
  });

  it('hands other answers back untouched, and never sends the same invalid_token retry twice', async () => {
    const count = refreshes();
    api.log.length = 0;
    const invalid = () => ({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, json: { error: 'invalid_token' } });
    api.respondNext(invalid);
    api.respondNext(invalid);
    const response = await (app as App).server.fetch(requestFor(jar), api.url('/api/me'));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token' });
    expect(api.log).toHaveLength(2);
    expect(refreshes()).toBe(count + 1);
  });
});

describe('when the dpop option changes under live sessions', () => {
  it('DPoP turned on: the Bearer session is refreshed once with a proof, then called with DPoP', async () => {
    await restart(true);
    expect((await tokens()).tokenType).toBe('bearer');
    const count = refreshes();
    api.log.length = 0;
    const response = await (app as App).server.fetch(requestFor(jar), api.url('/api/me'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'ada', scheme: 'DPoP' });
    expect(refreshes()).toBe(count + 1);
    const now = await tokens();
    expect(now.tokenType).toBe('dpop');
    expect((await world.provider.provider.AccessToken.find(now.accessToken))?.jkt).toBeTypeOf('string');
    expect(api.log.map((entry) => [entry.scheme, entry.token, typeof entry.proof])).toEqual([['DPoP', now.accessToken, 'string']]);
  });

  it('DPoP turned off: the DPoP-bound session is refreshed once without a proof, then called with Bearer', async () => {
    await restart(false);
    expect((await tokens()).tokenType).toBe('dpop');
    const count = refreshes();
    api.log.length = 0;
    const response = await (app as App).server.fetch(requestFor(jar), api.url('/api/me'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'ada', scheme: 'Bearer' });
    expect(refreshes()).toBe(count + 1);
    expect((await tokens()).tokenType).toBe('bearer');
    expect(api.log.map((entry) => [entry.scheme, entry.proof])).toEqual([['Bearer', undefined]]);
  });
});
