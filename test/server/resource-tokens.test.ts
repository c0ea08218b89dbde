// Resource tokens (RFC 8707) where the real oidc-provider cannot be made to misbehave: against the fake
// provider, the edges of the `resource` option. A session only ever asks for resources its login asked
// for (a configuration that changed between the login and now, or between a login's start and its
// callback, needs a new login, never a spent refresh token); no refresh token, tokens too large to
// keep, resources the configuration does not name, and `authorizationParams.resource`.
import { beforeEach, describe, expect, test } from 'vitest';
import type { SessionServer, SessionServerOptions } from '../../src/server/index.js';
import { memoryStore } from '../../src/server/index.js';
import { createFakeProvider, type FakeProvider } from '../unit/fake-provider.js';
import { APP, CSRF_HEADERS, SESSION, serverFor } from './fake-provider-server.js';

const ORDERS = 'https://orders.example';
const BILLING = 'https://billing.example';
const API = 'https://api.test';

let fake: FakeProvider;
/** Authorization headers the API received, oldest first. */
let seen: string[];

beforeEach(async () => {
  fake = await createFakeProvider({ clientId: 'app' });
  seen = [];
});

/** The fake provider's fetch, with the API answering 200 to anything (and recording the token it got). */
function fetchWithApi(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.startsWith(`${API}/`)) {
    seen.push(new Headers(init?.headers).get('authorization') ?? '');
    return Promise.resolve(Response.json({ ok: true }));
  }
  return fake.fetch(input, init);
}

const store = () => memoryStore();
function server(apis: SessionServerOptions['apis'], options: Partial<SessionServerOptions> = {}): SessionServer {
  return serverFor(fake, { fetch: fetchWithApi as typeof fetch, apis, ...options });
}
const routes = (...resources: string[]) => [
  { path: '/api/plain', upstream: `${API}/plain` },
  ...resources.map((resource, index) => ({ path: `/api/r${index}`, upstream: `${API}/r${index}`, resource })),
];

/** Starts a login on `start` and completes its callback on `finish` (by default the same server). */
async function login(start: SessionServer, finish = start): Promise<string> {
  const begun = await start.handle(new Request(`${APP}/auth/login?returnTo=/`));
  const pending = begun.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
  const done = await finish.handle(new Request(fake.authorize(begun.headers.get('location') as string), { headers: { cookie: pending } }));
  const cookie = done.headers.getSetCookie().find((value) => value.startsWith(`${SESSION}=`));
  if (!cookie) throw new Error(`no session after the login: ${done.status} ${done.headers.get('location')}`);
  return cookie.split(';')[0] as string;
}

async function send(app: SessionServer, cookie: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await app.handle(new Request(`${APP}${path}`, { headers: { cookie, ...CSRF_HEADERS } }));
  return { status: response.status, body: await response.json() };
}

const refreshes = () => fake.requests.filter((r) => r.body?.get('grant_type') === 'refresh_token');

describe('a session asks only for resources its login asked for', () => {
  test('a route added after the login: login_required on it, no refresh token spent, the session and other routes stay', async () => {
    const shared = store();
    const cookie = await login(server(routes(ORDERS), { store: shared }));
    const later = server(routes(ORDERS, BILLING), { store: shared });
    expect(await send(later, cookie, '/api/r1/x')).toEqual({ status: 401, body: { error: 'login_required' } });
    expect(refreshes().filter((r) => r.body?.get('resource') === BILLING)).toEqual([]);
    expect((await send(later, cookie, '/api/r0/x')).status).toBe(200);
    expect((await send(later, cookie, '/api/plain/x')).status).toBe(200);
    expect((await later.handle(new Request(`${APP}/auth/session`, { headers: { cookie } }))).status).toBe(200);
    // A new login asks for it.
    const again = await login(later);
    expect((await send(later, again, '/api/r1/x')).status).toBe(200);
    expect(refreshes().at(-1)?.body?.get('resource')).toBe(BILLING);
  });

  test('a login begun under one configuration and completed under another: none of its resources counts as asked for', async () => {
    const shared = store();
    const before = server(routes(ORDERS), { store: shared });
    const after = server(routes(ORDERS, BILLING), { store: shared });
    const cookie = await login(before, after);
    for (const path of ['/api/r0/x', '/api/r1/x']) expect(await send(after, cookie, path)).toEqual({ status: 401, body: { error: 'login_required' } });
    expect(refreshes()).toEqual([]);
    expect((await send(after, cookie, '/api/plain/x')).status).toBe(200);
    // The same configuration at both ends (two instances of one deploy) asks as usual.
    const twin = server(routes(ORDERS, BILLING), { store: shared });
    const both = await login(after, twin);
    expect((await send(twin, both, '/api/r1/x')).status).toBe(200);
  });

  test('a login asks for each resource once, authorizationParams.resource included, and its token is asked for too', async () => {
    const app = server(routes(ORDERS, BILLING, ORDERS), { authorizationParams: { resource: BILLING } });
    const begun = await app.handle(new Request(`${APP}/auth/login?returnTo=/`));
    expect(new URL(begun.headers.get('location') as string).searchParams.getAll('resource').sort()).toEqual([BILLING, ORDERS].sort());
    const cookie = await login(app);
    const token = await app.getAccessToken({ headers: { cookie } }, { resource: BILLING });
    expect(token?.accessToken).toMatch(/^at-/);
    expect(refreshes().at(-1)?.body?.get('resource')).toBe(BILLING);
  });
});

describe('the edges', () => {
  test('no refresh token: a resource route is a 502 that says why (a new login would not help), other routes work', async () => {
    fake.hooks.token = async (body, normal) => {
      const answer = await (await normal()).json();
      if (body.get('grant_type') === 'authorization_code') delete answer.refresh_token;
      return fake.json(answer);
    };
    const app = server(routes(ORDERS));
    const cookie = await login(app);
    expect(await send(app, cookie, '/api/r0/x')).toEqual({ status: 502, body: { error: 'provider_error' } });
    await expect(app.getAccessToken({ headers: { cookie } }, { resource: ORDERS })).rejects.toMatchObject({ name: 'ProtocolError', message: expect.stringMatching(/refresh token/) });
    expect((await send(app, cookie, '/api/plain/x')).status).toBe(200);
  });

  test('tokens too large to keep together: the others give way, the session keeps every route working and its refresh token', async () => {
    const big = 'x'.repeat(20_000);
    fake.hooks.token = async (body, normal) => {
      const answer = await (await normal()).json();
      if (body.get('resource')) answer.access_token = `at-${body.get('resource')}-${big}`;
      return fake.json(answer);
    };
    const resources = [0, 1, 2, 3].map((n) => `https://api${n}.example`);
    const shared = store();
    const app = server(routes(...resources), { store: shared });
    const cookie = await login(app);
    for (let round = 0; round < 2; round++) {
      for (const [index, resource] of resources.entries()) {
        expect((await send(app, cookie, `/api/r${index}/x`)).status).toBe(200);
        expect(seen.at(-1)).toBe(`Bearer at-${resource}-${big}`);
      }
    }
    expect((await send(app, cookie, '/api/plain/x')).status).toBe(200);
    // No refresh token was spent twice (the fake provider revokes the family on reuse), and logout still finds it to revoke.
    expect(fake.revokedFamilies.size).toBe(0);
    const logout = await app.handle(new Request(`${APP}/auth/logout`, { method: 'POST', headers: { cookie, ...CSRF_HEADERS } }));
    expect(logout.status).toBe(200);
    expect(fake.requests.filter((r) => r.url.endsWith('/token/revocation'))).toHaveLength(1);
  });

  test('getAccessToken and fetch refuse a resource the logins do not ask for, before anything is sent', async () => {
    const app = server(routes(ORDERS));
    const cookie = await login(app);
    const spent = fake.requests.length;
    for (const resource of [BILLING, `${ORDERS}/`, ORDERS.toUpperCase(), 'not a uri', '', 7]) {
      await expect(app.getAccessToken({ headers: { cookie } }, { resource } as never)).rejects.toThrow(TypeError);
      await expect(app.fetch({ headers: { cookie } }, `${API}/x`, undefined, { resource } as never)).rejects.toThrow(TypeError);
    }
    expect(fake.requests.length).toBe(spent);
    expect(seen).toEqual([]);
  });

  test.each([['a fragment', 'https://api.example/#x'], ['not a URI', 'api'], ['credentials', 'https://user:pw@api.example']])(
    'authorizationParams.resource with %s is refused at startup',
    (_what, resource) => {
      expect(() => server(routes(), { authorizationParams: { resource } })).toThrow(expect.objectContaining({ name: 'ConfigError', option: 'authorizationParams' }));
    },
  );
});
