// What only nodeHandler's node:http transport does (src/server/proxy/node-forward.ts): which servers
// use it, bodies passed through as the upstream encoded them, and a kept-alive connection the upstream
// closed as a request went out on it (sent again only when that is safe).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSessionServer, memoryStore } from '../../src/server/index.js';
import { nodeProxyOf } from '../../src/server/session-server.js';
import type { CookieJar } from '../support/fetch-login.mjs';
import { freePort } from '../support/redis-server.mjs';
import { CLIENT_ID, CLIENT_SECRET, SECRET, login, startWorld, type App, type World } from './harness.js';

/** An upstream that answers the first request on each connection and drops the connection at the second, unanswered. */
interface DroppingUpstream {
  origin: string;
  /** Every request that reached it, with the connection's number and the request's number on it. */
  seen: Array<{ method: string; url: string; connection: number; onConnection: number }>;
  close(): Promise<void>;
}

async function startDroppingUpstream(): Promise<DroppingUpstream> {
  const seen: DroppingUpstream['seen'] = [];
  const counts = new WeakMap<object, { connection: number; requests: number }>();
  let connections = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const socket = req.socket;
    const entry = counts.get(socket) ?? { connection: ++connections, requests: 0 };
    counts.set(socket, entry);
    entry.requests += 1;
    seen.push({ method: req.method ?? '', url: req.url ?? '', connection: entry.connection, onConnection: entry.requests });
    req.resume();
    if (entry.requests > 1) return void socket.destroy();
    if (req.url === '/v1/gzip') {
      const body = gzipSync('passed through');
      // Closed after: the next test starts with no connection kept alive.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(body.length), connection: 'close' });
      return void res.end(body);
    }
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' });
    res.end(JSON.stringify({ connection: entry.connection }));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An upstream that keeps connections 30 s (so only the proxy closes them sooner) and notes when each closed. */
async function startPatientUpstream(): Promise<{ origin: string; closedAt: number[]; open: () => number; close(): Promise<void> }> {
  const closedAt: number[] = [];
  let open = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    open++;
    socket.on('close', () => {
      open--;
      closedAt.push(Date.now());
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    closedAt,
    open: () => open,
    close: () => new Promise((resolve) => server.close(() => resolve()).closeAllConnections()),
  };
}

let world: World;
let app: App;
let upstream: DroppingUpstream;
let patient: Awaited<ReturnType<typeof startPatientUpstream>>;
let jar: CookieJar;

beforeAll(async () => {
  [world, upstream, patient] = await Promise.all([startWorld(), startDroppingUpstream(), startPatientUpstream()]);
  app = await world.startApp({
    store: memoryStore(),
    apis: [
      { path: '/api/drop', upstream: `${upstream.origin}/v1` },
      { path: '/api/patient', upstream: `${patient.origin}/v1` },
    ],
  });
  ({ jar } = await login(world));
}, 30_000);
afterAll(async () => {
  await app?.close();
  await Promise.all([upstream?.close(), patient?.close()]);
  await world?.close();
}, 15_000);

const send = (path: string, init: RequestInit = {}) =>
  fetch(world.appOrigin + path, { ...init, headers: { cookie: jar.header(), 'x-oidc-session': '1', 'accept-encoding': 'gzip', ...(init.headers as Record<string, string>) } });

describe('which servers forward on node:http', () => {
  const base = { issuer: 'https://op.example', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: 'https://app.example', secret: SECRET, store: memoryStore() };
  const apis = [{ path: '/api/x', upstream: 'https://api.example/v1' }];

  test('one with apis and Bearer tokens', () => {
    expect(nodeProxyOf(createSessionServer({ ...base, apis }))).toBeDefined();
  });

  test('not one with DPoP (its proofs go through oauth4webapi), with its own fetch, or without apis', async () => {
    const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    expect(nodeProxyOf(createSessionServer({ ...base, apis, dpop: { keyPair } }))).toBeUndefined();
    expect(nodeProxyOf(createSessionServer({ ...base, apis, fetch: (input, init) => fetch(input, init) }))).toBeUndefined();
    expect(nodeProxyOf(createSessionServer(base))).toBeUndefined();
  });
});

describe('the node:http transport', () => {
  test('a compressed answer goes to the browser as the upstream encoded it, length and all', async () => {
    upstream.seen.length = 0;
    const response = await fetch(world.appOrigin + '/api/drop/gzip', { headers: { cookie: jar.header(), 'x-oidc-session': '1', 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    // fetch decodes it once, as a browser does.
    expect(await response.text()).toBe('passed through');
  });

  test('a GET on a kept-alive connection the upstream drops is sent once more, on a new connection', async () => {
    upstream.seen.length = 0;
    const first = await send('/api/drop/a');
    expect(first.status).toBe(200);
    const { connection } = (await first.json()) as { connection: number };
    const second = await send('/api/drop/b');
    expect(second.status).toBe(200);
    expect(((await second.json()) as { connection: number }).connection).not.toBe(connection);
    // The dropped try reached the upstream on the reused connection; the answer came from a new one.
    expect(upstream.seen.map((r) => [r.url, r.onConnection])).toEqual([['/v1/a', 1], ['/v1/b', 2], ['/v1/b', 1]]);
  });

  test.each(['PUT', 'DELETE', 'OPTIONS', 'HEAD'])('a %s (idempotent, RFC 9110 §9.2.2) on such a connection is sent once more too', async (method) => {
    expect((await send('/api/drop/warm')).status).toBe(200);
    upstream.seen.length = 0;
    const answer = await send('/api/drop/again', { method, ...(method === 'PUT' ? { body: 'same twice', headers: { 'content-type': 'text/plain' } } : {}) });
    expect(answer.status).toBe(200);
    expect(upstream.seen.map((r) => [r.method, r.onConnection])).toEqual([[method, 2], [method, 1]]);
  });

  test('a PATCH on such a connection is not sent twice either: 502, the upstream saw it once', async () => {
    expect((await send('/api/drop/warm')).status).toBe(200);
    upstream.seen.length = 0;
    const patch = await send('/api/drop/e', { method: 'PATCH', body: 'apply once', headers: { 'content-type': 'text/plain' } });
    expect(patch.status).toBe(502);
    expect(upstream.seen.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  test('a POST on such a connection is not sent twice: 502, the upstream saw it once', async () => {
    upstream.seen.length = 0;
    expect((await send('/api/drop/c')).status).toBe(200);
    const post = await send('/api/drop/d', { method: 'POST', body: 'pay once', headers: { 'content-type': 'text/plain' } });
    expect(post.status).toBe(502);
    expect(await post.json()).toEqual({ error: 'upstream_unavailable' });
    expect(upstream.seen.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('a pooled connection idle for 3 s is closed within a second more: before the 5 s after which Node servers close theirs', async () => {
    expect((await send('/api/patient/x')).status).toBe(200);
    const idleFrom = Date.now();
    expect(patient.open()).toBe(1);
    while (patient.open() > 0 && Date.now() - idleFrom < 6_000) await new Promise((resolve) => setTimeout(resolve, 50));
    const idle = (patient.closedAt.at(-1) ?? Infinity) - idleFrom;
    expect(idle).toBeGreaterThanOrEqual(2_900);
    expect(idle).toBeLessThan(4_500);
    // The next request opens a new connection, with nothing to retry.
    expect((await send('/api/patient/y')).status).toBe(200);
    expect(patient.open()).toBe(1);
  }, 10_000);
});
