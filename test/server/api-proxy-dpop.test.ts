// The API proxy with the server's `dpop` option, against the real oidc-provider (DPoP-bound tokens) and
// the resource server of test/support/resource-server.mjs, which checks every proof as RFC 9449 §4.3
// and §7.1 say and demands its own nonce: a proxied call carries `Authorization: DPoP` and a proof for
// the upstream URL (not the app's), answers the nonce challenge once, and a POST body survives the retry.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dpopProviderConfig } from '../support/dpop-provider.mjs';
import type { CookieJar } from '../support/fetch-login.mjs';
import { resourceIndicatorsFeature } from '../support/resource-indicators.mjs';
import { startResourceServer } from '../support/resource-server.mjs';
import { CLIENT_ID, login, startWorld, type World } from './harness.js';

const ORDERS = 'https://orders.example';
let world: World;
let api: Awaited<ReturnType<typeof startResourceServer>>;
let jar: CookieJar;
const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;

beforeAll(async () => {
  world = await startWorld({
    configureProvider: (configuration) => {
      const dpop = dpopProviderConfig(configuration, { clientId: CLIENT_ID, requireDPoP: true });
      // Resource indicators (RFC 8707) too: opaque tokens for ORDERS, so the resource server can look them up.
      const resourceIndicators = resourceIndicatorsFeature({ [ORDERS]: { scope: 'orders:read', format: 'opaque' } });
      return { ...dpop, features: { ...dpop.features, resourceIndicators } };
    },
  });
  api = await startResourceServer({ provider: world.provider.provider, issuer: world.provider.issuer, requireNonce: true });
  await world.startApp({
    dpop: { keyPair },
    scope: 'openid profile email offline_access orders:read',
    apis: [
      { path: '/bff', upstream: api.url('/api') },
      { path: '/bff-orders', upstream: api.url('/api'), resource: ORDERS },
    ],
  });
  ({ jar } = await login(world));
}, 30_000);
afterAll(async () => {
  await api?.close();
  await world?.close();
});

const send = (path: string, init: RequestInit = {}) =>
  fetch(world.appOrigin + path, { ...init, headers: { cookie: jar.header(), 'x-oidc-session': '1', origin: world.appOrigin, ...(init.headers as Record<string, string>) } });

test('a proxied GET carries a DPoP-bound token and a proof for the upstream URL; the nonce challenge is answered once', async () => {
  api.log.length = 0;
  const response = await send('/bff/me?page=2');
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ sub: 'ada', scheme: 'DPoP' });
  // The first proof had no nonce (the API's first answer is use_dpop_nonce), the second carried it.
  expect(api.log.map((entry) => [entry.status, entry.error])).toEqual([
    [401, 'use_dpop_nonce'],
    [200, undefined],
  ]);
  const proof = api.log[1]!.proofPayload!;
  expect(proof).toMatchObject({ htm: 'GET', htu: api.url('/api/me') });
  expect(api.log[1]!.scheme).toBe('DPoP');
  // The nonce is the proxy's business: the browser never sees it.
  expect(response.headers.get('dpop-nonce')).toBeNull();
});

test('a POST body is sent again with the retried proof, byte for byte', async () => {
  api.log.length = 0;
  // A new nonce: the first proof carries the old one and is refused, so the body must go out twice.
  api.rotateNonce();
  const body = JSON.stringify({ order: 7, note: 'ä' });
  const response = await send('/bff/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ scheme: 'DPoP', body: JSON.parse(body) });
  expect(api.log.map((entry) => [entry.status, entry.error, entry.body])).toEqual([
    [401, 'use_dpop_nonce', body],
    [200, undefined, body],
  ]);
  expect(api.log.at(-1)!.proofPayload).toMatchObject({ htm: 'POST', htu: api.url('/api/echo') });
});

test("a route's resource token is DPoP-bound as well: asked for with a proof, sent with one, for that audience only", async () => {
  api.log.length = 0;
  const viaResource = await send('/bff-orders/me');
  expect(viaResource.status).toBe(200);
  expect(await viaResource.json()).toMatchObject({ sub: 'ada', scheme: 'DPoP', aud: ORDERS });
  const plain = await send('/bff/me');
  expect(await plain.json()).not.toHaveProperty('aud');
  // Every call, the resource's included, carried a proof the resource server checked against the token's key.
  expect(api.log.every((entry) => entry.scheme === 'DPoP')).toBe(true);
});
