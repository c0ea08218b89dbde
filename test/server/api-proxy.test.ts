// The API proxy (`apis`): browser requests to a declared path go to its upstream with the session's
// access token and nothing of the browser's credentials, against the real oidc-provider and a small
// real API (test/server/upstream-api.ts) over loopback HTTP. Hostile cases try to reach another host
// (traversal, absolute-form targets, encoded separators, redirects), smuggle headers in or out, send
// too much, or hang; none may reach anything but the declared upstream, and none may produce a 500.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ConfigError, createSessionServer, cookieStore, memoryStore } from '../../src/server/index.js';
import type { ServerTokens } from '../../src/server/relying-party.js';
import type { CookieJar } from '../support/fetch-login.mjs';
import { freePort } from '../support/redis-server.mjs';
import { CLIENT_ID, CLIENT_SECRET, SECRET, SESSION_COOKIE, login, sessionCookie, startWorld, storedTokens, type App, type World } from './harness.js';
import { rawRequest } from './raw-http.js';
import { startUpstreamApi, type UpstreamApi } from './upstream-api.js';
import { transportOptions } from './proxy-transport.js';

let world: World;
let app: App;
let upstream: UpstreamApi;
/** A second API no request may ever reach: every attempt to escape the declared upstream aims here. */
let elsewhere: UpstreamApi;
let jar: CookieJar;
const store = memoryStore();
let closedPort: number;

beforeAll(async () => {
  world = await startWorld();
  [upstream, elsewhere] = await Promise.all([startUpstreamApi(), startUpstreamApi()]);
  closedPort = await freePort();
  app = await world.startApp({
    ...transportOptions(),
    store,
    apis: [
      { path: '/api/orders', upstream: `${upstream.origin}/v1` },
      { path: '/api/orders/admin', upstream: `${upstream.origin}/v1/admin-area`, requiredScopes: ['orders:admin'] },
      { path: '/api/profile', upstream: `${upstream.origin}/v1/profile`, requiredScopes: ['profile', 'email'] },
      { path: '/api/public', upstream: `${upstream.origin}/v1/public-area`, anonymous: true },
      { path: '/api/small', upstream: `${upstream.origin}/v1`, maxBodyBytes: 1000 },
      { path: '/api/slow', upstream: `${upstream.origin}/v1`, timeoutSeconds: 0.5 },
      { path: '/api/down', upstream: `http://127.0.0.1:${closedPort}/v1` },
    ],
  });
  ({ jar } = await login(world));
}, 30_000);
beforeEach(() => {
  upstream.requests.length = 0;
  elsewhere.requests.length = 0;
  upstream.refusedTokens.clear();
});
afterAll(async () => {
  // Nothing ever reached the other API, whatever the tests tried.
  expect(elsewhere.requests).toEqual([]);
  await Promise.all([upstream?.close(), elsewhere?.close()]);
  await world?.close();
}, 15_000);

const tokens = () => storedTokens((key) => store.get(key), sessionCookie(jar)) as Promise<ServerTokens>;

interface Send {
  method?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Leave out the CSRF header (and Origin). */
  noCsrf?: boolean;
  cookies?: string;
  signal?: AbortSignal;
}

/** A request as the app's page makes it through the browser client: same-origin, the CSRF header, the session cookie. */
async function send(path: string, options: Send = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: options.cookies ?? jar.header(), ...(options.noCsrf ? {} : { 'x-oidc-session': '1', origin: world.appOrigin, 'sec-fetch-site': 'same-origin' }), ...options.headers };
  const init: RequestInit & { duplex?: string } = { method: options.method ?? 'GET', headers, redirect: 'manual', ...(options.signal ? { signal: options.signal } : {}) };
  if (options.body !== undefined) Object.assign(init, { body: options.body, duplex: 'half' });
  return fetch(world.appOrigin + path, init);
}

async function sendJson(path: string, options: Send = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await send(path, options);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: response.status, body, headers: response.headers };
}

/** A body stream with no declared length (chunked): the proxy cannot know its size up front. */
function chunked(bytes: number, chunk = 16 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const size = Math.min(chunk, bytes - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size).fill(1));
    },
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('forwarding', () => {
  test('a GET goes to the upstream path with the query, the session token, and none of the browser credentials', async () => {
    const answer = await sendJson('/api/orders/items/42?x=1&y=%20two');
    expect(answer.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    const [seen] = upstream.requests;
    expect(seen!.url).toBe('/v1/items/42?x=1&y=%20two');
    expect(seen!.headers.authorization).toBe(`Bearer ${(await tokens()).accessToken}`);
    for (const name of ['cookie', 'x-oidc-session', 'dpop']) expect(seen!.headers[name], name).toBeUndefined();
    expect(answer.body).toMatchObject({ method: 'GET', url: '/v1/items/42?x=1&y=%20two' });
  });

  test('the declared path itself maps to the upstream path; the most specific declaration wins', async () => {
    expect((await send('/api/orders')).status).toBe(200);
    expect(upstream.requests.at(-1)!.url).toBe('/v1');
    // /api/orders/admin is declared apart, with a scope this session lacks: its rule applies, not /api/orders's.
    expect((await sendJson('/api/orders/admin/users')).status).toBe(403);
    expect(upstream.requests).toHaveLength(1);
  });

  test.each(['POST', 'PUT', 'PATCH', 'DELETE'])('%s keeps its method and its body byte for byte', async (method) => {
    const body = new TextEncoder().encode(JSON.stringify({ method, items: [1, 2, 3] }));
    const answer = await sendJson('/api/orders/items', { method, body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ method, bytes: body.length, sha: await sha256(body) });
    expect(upstream.requests.at(-1)!.headers['content-type']).toBe('application/json');
  });

  test('OPTIONS and HEAD are forwarded too; HEAD answers no body', async () => {
    expect((await send('/api/orders/x', { method: 'OPTIONS' })).status).toBe(200);
    const head = await send('/api/orders/x', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(upstream.requests.map((r) => r.method)).toEqual(['OPTIONS', 'HEAD']);
  });

  test('a body past the replay buffer (256 KiB, no declared length) streams through intact', async () => {
    const bytes = 256 * 1024;
    const answer = await sendJson('/api/orders/upload', { method: 'POST', body: chunked(bytes) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ bytes, sha: await sha256(new Uint8Array(bytes).fill(1)) });
  });

  test('an answer streams: the first chunk arrives while the upstream is still writing', async () => {
    const response = await send('/api/orders/drip');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first\n');
    await send('/api/orders/release').then((r) => r.text());
    let rest = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest += new TextDecoder().decode(next.value);
    expect(rest).toBe('last\n');
  });

  test('a 3 MiB answer comes back whole', async () => {
    const response = await send('/api/orders/big');
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBe(3 * 1024 * 1024);
    expect(body.every((byte) => byte === 7)).toBe(true);
  });

  test('statuses come back as the upstream gave them', async () => {
    for (const status of [201, 204, 400, 403, 404, 409, 500, 503]) expect((await send(`/api/orders/status/${status}`)).status, String(status)).toBe(status);
  });
});

describe('what the proxy requires', () => {
  test('no session: 401 login_required, nothing forwarded', async () => {
    const answer = await sendJson('/api/orders/items', { cookies: '' });
    expect(answer).toMatchObject({ status: 401, body: { error: 'login_required' } });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const forged = await sendJson('/api/orders/items', { cookies: `${SESSION_COOKIE}=${'A'.repeat(43)}` });
    expect(forged.status).toBe(401);
    expect(upstream.requests).toEqual([]);
  });

  test('the CSRF proof on every method, GET included: 403 without it, nothing forwarded, nothing read', async () => {
    const attempts: Send[] = [
      { noCsrf: true },
      { noCsrf: true, method: 'POST', body: '{}' },
      { noCsrf: true, headers: { origin: world.appOrigin, 'sec-fetch-site': 'same-origin' } },
      { headers: { origin: 'https://attacker.example' } },
      { headers: { 'sec-fetch-site': 'cross-site' } },
      { headers: { 'sec-fetch-site': 'same-site' } },
      { headers: { 'x-oidc-session': '0' } },
    ];
    for (const attempt of attempts) {
      const answer = await sendJson('/api/orders/items', attempt);
      expect(answer, JSON.stringify(attempt)).toMatchObject({ status: 403, body: { error: 'csrf_check_failed' } });
    }
    expect(upstream.requests).toEqual([]);
  });

  test('requiredScopes: a session without them gets 403 insufficient_scope; with them, the call', async () => {
    expect(await sendJson('/api/orders/admin/users')).toMatchObject({ status: 403, body: { error: 'insufficient_scope', scope: 'orders:admin' } });
    expect(upstream.requests).toEqual([]);
    expect((await sendJson('/api/profile/me')).status).toBe(200);
    expect(upstream.requests.at(-1)!.url).toBe('/v1/profile/me');
  });

  test('an anonymous route forwards without a session (no token) and with one (its token)', async () => {
    expect((await send('/api/public/list', { cookies: '' })).status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.authorization).toBeUndefined();
    expect((await send('/api/public/list')).status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${(await tokens()).accessToken}`);
  });

  test('methods a Request cannot carry are 405 with Allow, before anything is built', async () => {
    const port = Number(new URL(world.appOrigin).port);
    for (const method of ['TRACE', 'PROPFIND', 'LINK']) {
      const answer = await rawRequest(port, method, '/api/orders/x', [['host', 'localhost'], ['cookie', jar.header()], ['x-oidc-session', '1']]);
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    }
    expect(upstream.requests).toEqual([]);
  });
});

describe('limits', () => {
  test('a declared body over maxBodyBytes is 413 before the upstream is called', async () => {
    const answer = await sendJson('/api/small/items', { method: 'POST', body: 'x'.repeat(1001) });
    expect(answer).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    expect((await sendJson('/api/small/items', { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
  });

  test('a chunked body that grows past the limit is cut off: 413, and the upstream never gets a whole request', async () => {
    const answer = await sendJson('/api/small/items', { method: 'POST', body: chunked(5000, 400) });
    expect(answer).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    // The default limit (1 MiB) too, on a route that streams.
    const big = await sendJson('/api/orders/items', { method: 'POST', body: chunked(1024 * 1024 + 1) });
    expect(big).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    expect(upstream.requests).toEqual([]);
  });

  test('an upstream that does not answer in time: 504 upstream_timeout, and its connection is closed', async () => {
    const started = performance.now();
    expect(await sendJson('/api/slow/hang')).toMatchObject({ status: 504, body: { error: 'upstream_timeout' } });
    expect(performance.now() - started).toBeLessThan(3000);
    await expect.poll(() => upstream.open(), { timeout: 2000 }).toBe(0);
  });

  test('an upstream that is down: 502 upstream_unavailable', async () => {
    expect(await sendJson('/api/down/x')).toMatchObject({ status: 502, body: { error: 'upstream_unavailable' } });
  });

  test('a browser that leaves ends the upstream request too', async () => {
    const leave = new AbortController();
    const pending = send('/api/orders/hang', { signal: leave.signal }).catch((error: Error) => error);
    await expect.poll(() => upstream.open(), { timeout: 2000 }).toBe(1);
    leave.abort();
    expect(await pending).toBeInstanceOf(Error);
    await expect.poll(() => upstream.open(), { timeout: 3000 }).toBe(0);
  });

  test('an upstream that breaks off mid-answer: the browser sees a broken body, not a short one; the server goes on', async () => {
    const response = await send('/api/orders/break-off');
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect((await send('/api/orders/after')).status).toBe(200);
  });
});

describe('nothing but the declared upstream', () => {
  const port = () => Number(new URL(world.appOrigin).port);
  const raw = (target: string, extra: [string, string][] = []) =>
    rawRequest(port(), 'GET', target, [['host', new URL(world.appOrigin).host], ['cookie', jar.header()], ['x-oidc-session', '1'], ...extra]);

  test('paths that an upstream might read as another are 400; dot segments resolve before matching, so they leave the API path', async () => {
    const refused = ['/api/orders/..%2fadmin', '/api/orders/%2e%2e%2fadmin', '/api/orders/%2Fetc', '/api/orders/a%5c..%5cadmin', '/api/orders/a%00b', '/api/orders/..;/admin', '/api/orders/x/.;/y', '/api/orders/%252e%252e/admin', '/api/orders/%252fadmin'];
    for (const target of refused) expect((await raw(target)).status, target).toBe(400);
    const elsewhereOnApp = ['/api/orders/../../etc/passwd', '/api/orders/%2e%2e/%2e%2e/etc', '/api/orders/.%2e/x/../../admin', '/api/orders\\..\\..\\admin', '/api/ordersX', '/api/orders@127.0.0.1/x', '//127.0.0.1/api/orders/x'];
    for (const target of elsewhereOnApp) expect((await raw(target)).status, target).toBe(404);
    expect(upstream.requests).toEqual([]);
  });

  test('what stays inside the path is forwarded inside the upstream path', async () => {
    const inside: Array<[string, string]> = [
      ['/api/orders/a/../b', '/v1/b'],
      ['/api/orders/a/%2e/b', '/v1/a/b'],
      [`/api/orders/@127.0.0.1:${0}/x`, `/v1/@127.0.0.1:0/x`],
      ['/api/orders/x?next=https://attacker.example/&a=%2f', '/v1/x?next=https://attacker.example/&a=%2f'],
    ];
    for (const [target, expected] of inside) {
      expect((await raw(target)).status, target).toBe(200);
      expect(upstream.requests.at(-1)!.url, target).toBe(expected);
    }
  });

  test('an absolute-form target naming another host reaches only the declared upstream', async () => {
    const answer = await raw(`${elsewhere.origin}/api/orders/x`);
    expect(answer.status).toBe(200);
    expect(upstream.requests.at(-1)!.url).toBe('/v1/x');
    const hostHeader = await raw('/api/orders/y', [['x-forwarded-host', new URL(elsewhere.origin).host]]);
    expect(hostHeader.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.host).toBe(new URL(upstream.origin).host);
  });

  test('redirects are handed back, never followed; one into the upstream path reads as the app path', async () => {
    const away = await send('/api/orders/redirect-elsewhere');
    expect(away.status).toBe(302);
    expect(away.headers.get('location')).toBe('https://attacker.example/steal');
    const inside = await send('/api/orders/redirect-inside');
    expect(inside.status).toBe(302);
    expect(inside.headers.get('location')).toBe('/api/orders/echo/moved?x=1');
    expect(upstream.requests).toHaveLength(2);
  });
});

describe('headers', () => {
  test("the browser's credentials, hop-by-hop fields and forwarding claims stay behind", async () => {
    const port = Number(new URL(world.appOrigin).port);
    const answer = await rawRequest(port, 'GET', '/api/orders/h', [
      ['host', 'attacker.example'],
      ['cookie', jar.header()],
      ['x-oidc-session', '1'],
      ['authorization', 'Bearer attacker-token'],
      ['dpop', 'attacker-proof'],
      ['proxy-authorization', 'Basic eDp5'],
      ['connection', 'keep-alive, x-secret'],
      ['x-secret', 'named by Connection'],
      ['keep-alive', 'timeout=5'],
      ['te', 'trailers'],
      ['upgrade', 'websocket'],
      ['x-forwarded-for', '10.0.0.1'],
      ['x-forwarded-host', 'attacker.example'],
      ['forwarded', 'for=10.0.0.1;host=attacker.example'],
      ['accept', 'application/json'],
      ['x-request-id', 'abc'],
    ]);
    expect(answer.status).toBe(200);
    const seen = upstream.requests.at(-1)!.headers;
    expect(seen.authorization).toBe(`Bearer ${(await tokens()).accessToken}`);
    expect(seen.host).toBe(new URL(upstream.origin).host);
    for (const name of ['cookie', 'x-oidc-session', 'dpop', 'proxy-authorization', 'x-secret', 'keep-alive', 'te', 'upgrade', 'x-forwarded-for', 'x-forwarded-host', 'forwarded']) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen.accept).toBe('application/json');
    expect(seen['x-request-id']).toBe('abc');
  });

  test("the upstream's cookies, hop-by-hop fields and DPoP nonce do not reach the browser", async () => {
    const cookies = await send('/api/orders/set-cookie');
    expect(cookies.headers.getSetCookie()).toEqual([]);
    const hop = await send('/api/orders/hop');
    expect(await hop.text()).toBe('hop');
    for (const name of ['x-internal', 'dpop-nonce']) expect(hop.headers.get(name), name).toBeNull();
    // Node's server sets its own Keep-Alive for the browser's connection; the upstream's (99 s) is not passed on.
    expect(hop.headers.get('keep-alive')).not.toContain('99');
    expect(hop.headers.get('x-kept')).toBe('yes');
  });

  test('an answer made with the token is private: public and s-maxage dropped; none said becomes no-store', async () => {
    expect((await send('/api/orders/public')).headers.get('cache-control')).toBe('private, max-age=600');
    expect((await send('/api/orders/no-cache-header')).headers.get('cache-control')).toBe('no-store');
  });
});

describe('tokens', () => {
  test('an upstream 401 invalid_token refreshes once and retries with the new token, body and all', async () => {
    const before = await tokens();
    upstream.refusedTokens.add(before.accessToken);
    const refreshes = world.provider.count('token', 'refresh_token');
    const body = JSON.stringify({ order: 1 });
    const answer = await sendJson('/api/orders/items', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
    expect(world.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
    const after = await tokens();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(upstream.requests.map((r) => [r.headers.authorization, r.body.toString()])).toEqual([
      [`Bearer ${before.accessToken}`, body],
      [`Bearer ${after.accessToken}`, body],
    ]);
  });

  test('a second 401 is handed back after exactly one refresh', async () => {
    const refreshes = world.provider.count('token', 'refresh_token');
    const first = (await tokens()).accessToken;
    upstream.refusedTokens.add(first);
    // Refuse whatever token comes next too.
    const original = upstream.refusedTokens.has.bind(upstream.refusedTokens);
    upstream.refusedTokens.has = () => true;
    try {
      const answer = await send('/api/orders/items');
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
    } finally {
      upstream.refusedTokens.has = original;
    }
    expect(world.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
    expect(upstream.requests).toHaveLength(2);
  });

  test('a streamed body cannot be sent twice: the 401 comes back, the tokens are refreshed for the next call', async () => {
    const before = await tokens();
    upstream.refusedTokens.add(before.accessToken);
    const answer = await send('/api/orders/upload', { method: 'POST', body: chunked(100 * 1024) });
    expect(answer.status).toBe(401);
    const after = await tokens();
    expect(after.accessToken).not.toBe(before.accessToken);
    expect((await send('/api/orders/upload', { method: 'POST', body: chunked(100 * 1024) })).status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${after.accessToken}`);
  });

  test('a 401 without invalid_token is the API speaking about something else: handed back, no refresh', async () => {
    const refreshes = world.provider.count('token', 'refresh_token');
    expect((await send('/api/orders/status/401')).status).toBe(401);
    expect(world.provider.count('token', 'refresh_token')).toBe(refreshes);
  });
});

describe('configuration', () => {
  const base = { issuer: 'http://127.0.0.1:1', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'http://localhost:3000', secret: SECRET };
  const refused: Array<[string, unknown, RegExp]> = [
    ['not a list', { path: '/api', upstream: 'https://api.example' }, /expected a list/],
    ['no upstream', [{ path: '/api' }], /upstream/],
    ['a relative upstream', [{ path: '/api', upstream: '/v1' }], /absolute URL/],
    ['plain http to another host', [{ path: '/api', upstream: 'http://api.example' }], /https/],
    ['a query in the upstream', [{ path: '/api', upstream: 'https://api.example/v1?key=1' }], /no query/],
    ['credentials in the upstream', [{ path: '/api', upstream: 'https://user:pw@api.example' }], /credentials/],
    ['a trailing slash', [{ path: '/api/', upstream: 'https://api.example' }], /path/],
    ['a dot-dot segment', [{ path: '/api/../admin', upstream: 'https://api.example' }], /path/],
    ['an encoded character', [{ path: '/api%2fx', upstream: 'https://api.example' }], /path/],
    ['no leading slash', [{ path: 'api', upstream: 'https://api.example' }], /path/],
    ['the session routes', [{ path: '/auth', upstream: 'https://api.example' }], /overlaps/],
    ['under the session routes', [{ path: '/auth/api', upstream: 'https://api.example' }], /overlaps/],
    ['a path twice', [{ path: '/api', upstream: 'https://a.example' }, { path: '/api', upstream: 'https://b.example' }], /twice/],
    ['an unknown option', [{ path: '/api', upstream: 'https://api.example', audience: 'x' }], /unknown option/],
    ['anonymous with scopes', [{ path: '/api', upstream: 'https://api.example', anonymous: true, requiredScopes: ['x'] }], /anonymous/],
    ['a scope with a space', [{ path: '/api', upstream: 'https://api.example', requiredScopes: ['a b'] }], /scope/],
    ['a negative body limit', [{ path: '/api', upstream: 'https://api.example', maxBodyBytes: -1 }], /maxBodyBytes/],
    ['an endless timeout', [{ path: '/api', upstream: 'https://api.example', timeoutSeconds: Infinity }], /timeoutSeconds/],
  ];
  test.each(refused)('refused: %s', (_name, apis, message) => {
    const error = (() => {
      try {
        createSessionServer({ ...base, apis: apis as never });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  test('a path beside the session routes is fine; the stateless cookie store is refused (it keeps no tokens)', () => {
    expect(() => createSessionServer({ ...base, apis: [{ path: '/authz', upstream: 'https://api.example' }] })).not.toThrow();
    expect(() => createSessionServer({ ...base, store: cookieStore(), apis: [{ path: '/api', upstream: 'https://api.example' }] })).toThrow(ConfigError);
  });
});

describe('the Web-standard handler', () => {
  test('server.handle proxies a streamed body and streams the answer', async () => {
    const request = new Request(`${world.appOrigin}/api/orders/web`, {
      method: 'POST',
      headers: { cookie: jar.header(), 'x-oidc-session': '1', origin: world.appOrigin },
      body: chunked(80 * 1024),
      duplex: 'half',
    } as RequestInit);
    const response = await app.server.handle(request);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: 'POST', url: '/v1/web', bytes: 80 * 1024 });
  });
});

describe('Express', () => {
  test('app.use(nodeHandler(server)) proxies before the routes; a body parser mounted first is a clear 500, not lost data', async () => {
    const { default: express } = await import('express');
    const { nodeHandler } = await import('../../src/server/index.js');
    const server = createSessionServer({ issuer: world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: world.appOrigin, secret: SECRET, store, apis: [{ path: '/api/orders', upstream: `${upstream.origin}/v1` }] });
    const good = express();
    good.use(nodeHandler(server));
    good.use(express.json());
    const bad = express();
    bad.use(express.json());
    bad.use(nodeHandler(server));
    const ports = await Promise.all([freePort(), freePort()]);
    const listeners = [good, bad].map((expressApp, i) => createServer(expressApp).listen(ports[i], '127.0.0.1'));
    try {
      const headers = { cookie: jar.header(), 'x-oidc-session': '1', 'content-type': 'application/json' };
      const ok = await fetch(`http://127.0.0.1:${ports[0]}/api/orders/e`, { method: 'POST', headers, body: '{"a":1}' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ url: '/v1/e', bytes: 7 });
      const lost = await fetch(`http://127.0.0.1:${ports[1]}/api/orders/e`, { method: 'POST', headers, body: '{"a":1}' });
      expect(lost.status).toBe(500);
      expect(await lost.json()).toMatchObject({ error_description: expect.stringContaining('before body parsers') });
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(resolve))));
    }
  });
});
