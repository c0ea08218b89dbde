// `auth.fetch` of the session-server-mode client against the real session server's API proxy: the page
// calls its own origin, the server attaches the token, and a session the server ended shows as
// signed out after the call that found out.
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { SessionServerClient } from '../../src/client/session-server-client.js';
import type { AuthState } from '../../src/client/state-hub.js';
import type { App } from './harness.js';
import type { CookieJar } from '../support/fetch-login.mjs';
import { login, startWorld, type World } from './harness.js';
import { startUpstreamApi, type UpstreamApi } from './upstream-api.js';

let world: World;
let app: App;
let upstream: UpstreamApi;

beforeAll(async () => {
  world = await startWorld();
  upstream = await startUpstreamApi();
  app = await world.startApp({ apis: [{ path: '/api/orders', upstream: `${upstream.origin}/v1` }] });
}, 30_000);
beforeEach(() => void (upstream.requests.length = 0));
afterAll(async () => {
  await upstream?.close();
  await world?.close();
});

/** The client as a page on the app's origin would run it: its fetch carries the jar's cookies and the browser's Origin. */
function pageClient(jar: CookieJar) {
  const sent: Array<{ url: string; headers: Headers; credentials: RequestCredentials | undefined }> = [];
  const client = new SessionServerClient({
    sessionServer: '/auth',
    sessionCheckSeconds: false,
    navigate: () => undefined,
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      sent.push({ url: String(input), headers: new Headers(headers), credentials: init?.credentials });
      headers.set('cookie', jar.header());
      headers.set('origin', world.appOrigin);
      headers.set('sec-fetch-site', 'same-origin');
      const response = await fetch(world.appOrigin + String(input), { ...init, headers, redirect: 'manual' });
      jar.take(response);
      return response;
    },
  });
  return { client, sent };
}

function settled(client: SessionServerClient): Promise<AuthState> {
  return new Promise((resolve) => {
    const stop = client.subscribe((state) => {
      if (state.status !== 'loading') {
        queueMicrotask(() => stop());
        resolve(state);
      }
    });
  });
}

test('auth.fetch calls the proxy with the CSRF header and same-origin credentials; the API gets the token, the page never does', async () => {
  const { jar } = await login(world);
  const { client, sent } = pageClient(jar);
  await settled(client);
  // Bound: usable as a plain function, as apps pass fetch around.
  const { fetch: apiFetch } = client;
  const response = await apiFetch('/api/orders/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { url: string; bytes: number; authorization: string };
  expect(body).toMatchObject({ url: '/v1/items', bytes: 7 });
  expect(body.authorization).toMatch(/^Bearer \S{20,}$/);
  const call = sent.find((request) => request.url === '/api/orders/items')!;
  expect(call.headers.get('x-oidc-session')).toBe('1');
  expect(call.headers.get('content-type')).toBe('application/json');
  expect(call.headers.get('authorization')).toBeNull();
  expect(call.credentials).toBe('same-origin');
});

test('a 401 from the proxy (the server ended the session) makes the tab sign out, with the reason', async () => {
  const { jar } = await login(world);
  const { client } = pageClient(jar);
  const state = await settled(client);
  const events: unknown[] = [];
  client.on('logout', (event) => events.push(event));
  await app.server.endSessions({ sub: (state as { user: { sub: string } }).user.sub });
  const response = await client.fetch('/api/orders/items');
  expect(response.status).toBe(401);
  expect(upstream.requests).toEqual([]);
  await expect.poll(() => client.state.status).toBe('anonymous');
  expect(events).toEqual([{ reason: 'ended', remote: true }]);
});

test('any other answer comes back untouched, the state too', async () => {
  const { jar } = await login(world);
  const { client } = pageClient(jar);
  await settled(client);
  const response = await client.fetch('/api/orders/status/503');
  expect(response.status).toBe(503);
  expect(client.state.status).toBe('authenticated');
});
