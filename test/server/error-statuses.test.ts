// What Routes.handle() answers when a route throws: the status names whose failure it was, and a
// provider's failure is never a 500. RFC 9110 §15.6.3 (502: an invalid or no answer from upstream),
// §15.6.4 (503: this server cannot right now), §10.2.3 (Retry-After in delta-seconds); RFC 6749 §5.2
// and the shared policy (src/protocol/retry-policy.ts) for when the next attempt is allowed. The refresh paths
// through the real provider are in test/server/refresh-backoff.test.ts; this file is each error
// class through errorResponse(), and each through the real routes where a provider answer or a store
// failure can produce it without a login.
import { describe, expect, test } from 'vitest';
import { AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, SessionStoreError, createSessionServer, memoryStore, type SessionStore } from '../../src/server/index.js';
import { errorResponse } from '../../src/server/http-messages.js';

const NOW = 1_800_000_000_000;
const ISSUER = 'https://op.test';
const APP = 'https://rp.test';
const SECRET = 'test-secret-test-secret-test-secret-0123456789';

async function answer(error: unknown) {
  const response = errorResponse(error, NOW);
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
}

describe('errorResponse: one status per error class', () => {
  test('NetworkError (unreachable, timeout, 429/5xx) is 502 provider_unavailable with Retry-After from retryAt', async () => {
    expect(await answer(new NetworkError('network_error', 'x', NOW + 30_000))).toEqual({ status: 502, body: { error: 'provider_unavailable' }, retryAfter: '30' });
    expect(await answer(new NetworkError('timeout', 'x', NOW + 1_500))).toEqual({ status: 502, body: { error: 'provider_unavailable' }, retryAfter: '2' });
    // A retryAt already passed (or a clock step) still tells the client to wait a little, never 0 or negative.
    expect((await answer(new NetworkError('network_error', 'x', NOW - 5_000))).retryAfter).toBe('1');
    // Without retryAt: the shared policy's first wait (4 s).
    expect((await answer(new NetworkError('network_error', 'x'))).retryAfter).toBe('4');
    expect((await answer(new NetworkError('timeout', 'x'))).retryAfter).toBe('4');
  });

  test('LoginRequiredError from any route is 401 login_required', async () => {
    expect(await answer(new LoginRequiredError('the provider ended the session'))).toEqual({ status: 401, body: { error: 'login_required' }, retryAfter: null });
  });

  test('SessionStoreError is 503 session_store_unavailable', async () => {
    expect(await answer(new SessionStoreError('session store: timed out'))).toEqual({ status: 503, body: { error: 'session_store_unavailable' }, retryAfter: null });
  });

  test("the provider's other failures (OAuthError, ProtocolError) are 502 provider_error, not 500", async () => {
    for (const error of [
      new OAuthError('invalid_client', 'secret rotated', 'refresh'),
      new OAuthError('temporarily_unavailable', undefined, 'refresh'),
      new ProtocolError('invalid_discovery', 'issuer mismatch'),
      new ProtocolError('invalid_token_response', 'no access_token'),
      new ProtocolError('invalid_id_token', 'bad iat'),
      new ProtocolError('insecure_endpoint', 'http'),
      new ProtocolError('unexpected_response', 'html'),
    ]) {
      expect(await answer(error), `${error.name} ${error.code}`).toEqual({ status: 502, body: { error: 'provider_error' }, retryAfter: null });
    }
  });

  test('our own failures (a ConfigError, a bug, something thrown that is no Error) are 500 server_error', async () => {
    for (const error of [new ConfigError('store', 'bad'), new TypeError('x is undefined'), new RangeError('x'), 'a string', undefined, null, { code: 'network_error' }]) {
      expect(await answer(error), String(error)).toEqual({ status: 500, body: { error: 'server_error' }, retryAfter: null });
    }
    // A foreign AuthError-shaped object without our brand is not trusted as one.
    expect((await answer(Object.assign(new Error('x'), { code: 'login_required' }))).status).toBe(500);
    expect((await answer(new AuthError('login_required', 'x'))).status).toBe(401);
  });
});

describe('through the routes', () => {
  /** A server whose provider answers discovery with `discovery` (the only provider call GET login makes first). */
  function serverWith(discovery: () => Promise<Response>, store: SessionStore = memoryStore()) {
    return createSessionServer({ issuer: ISSUER, clientId: 'c', clientSecret: 's', appUrl: APP, secret: SECRET, store, fetch: () => discovery() });
  }
  const get = async (server: ReturnType<typeof serverWith>, path: string, headers: Record<string, string> = {}) => {
    const response = await server.handle(new Request(APP + path, { headers }));
    return { status: response.status, body: await response.json().catch(() => undefined), retryAfter: response.headers.get('retry-after') };
  };

  test('GET login with the provider unreachable or saying "later": 502 provider_unavailable with Retry-After', async () => {
    expect(await get(serverWith(() => Promise.reject(new TypeError('fetch failed'))), '/auth/login')).toEqual({ status: 502, body: { error: 'provider_unavailable' }, retryAfter: '4' });
    for (const status of [429, 500, 502, 503, 504]) {
      const response = await get(serverWith(async () => new Response('busy', { status, headers: { 'retry-after': '7' } })), '/auth/login');
      expect(response, String(status)).toEqual({ status: 502, body: { error: 'provider_unavailable' }, retryAfter: '7' });
    }
  });

  test('GET login with discovery answering nonsense: 502 provider_error, never 500', async () => {
    const metadata = { issuer: 'https://other.test', authorization_endpoint: `${ISSUER}/auth`, token_endpoint: `${ISSUER}/token` };
    for (const [what, make] of [
      ['HTML', () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } })],
      ['404', () => new Response('no', { status: 404 })],
      ['a foreign issuer', () => Response.json(metadata)],
      ['no endpoints', () => Response.json({ issuer: ISSUER })],
      ['a redirect', () => new Response(null, { status: 302, headers: { location: 'https://evil.example/' } })],
    ] as const) {
      const response = await get(serverWith(async () => make()), '/auth/login');
      expect(response.status, what).toBe(502);
      expect(response.body, what).toEqual({ error: 'provider_error' });
    }
  });

  test('a session store that fails is 503 on every route that reads it', async () => {
    const broken: SessionStore = { ...memoryStore(), get: () => Promise.reject(new Error('ECONNRESET')) };
    const server = serverWith(() => Promise.reject(new TypeError('unused')), broken);
    const cookie = { cookie: `${server.cookieName}=${'A'.repeat(43)}` };
    expect(await get(server, '/auth/session', cookie)).toEqual({ status: 503, body: { error: 'session_store_unavailable' }, retryAfter: null });
  });
});
