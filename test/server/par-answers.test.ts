// The session server's pushed authorization requests against the fake provider (test/unit/fake-provider.ts)
// with a PAR endpoint in front of its fetch: for the answers the real oidc-provider never gives (huge or
// mistyped request_uri, zero lifetime, an http: endpoint, a broken "required" document) and for the
// status each failure of `GET login` answers with. No failure starts a pending login.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFakeProvider } from '../unit/fake-provider.js';
import { APP, serverFor } from './fake-provider-server.js';
import type { SessionServerOptions } from '../../src/server/index.js';

async function parWorld(metadata: Record<string, unknown> = { pushed_authorization_request_endpoint: 'https://op.test/par' }, options: Partial<SessionServerOptions> = {}) {
  const fake = await createFakeProvider({ clientId: 'app' });
  fake.hooks.discovery = async (normal) => fake.json({ ...((await normal().json()) as object), ...metadata });
  const pushes: URLSearchParams[] = [];
  const pushed = new Map<string, URLSearchParams>();
  const control: { answer?: () => Response } = {};
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    if (new URL(String(input)).pathname === '/par') {
      const body = new URLSearchParams(init.body as URLSearchParams);
      pushes.push(body);
      if (control.answer) return control.answer();
      const requestUri = `urn:ietf:params:oauth:request_uri:${randomUUID()}`;
      pushed.set(requestUri, body);
      return fake.json({ request_uri: requestUri, expires_in: 60 }, 201);
    }
    return fake.fetch(input, init);
  }) as typeof globalThis.fetch;
  const server = serverFor(fake, { fetch, pushedAuthorizationRequests: true, ...options });
  const login = () => server.handle(new Request(`${APP}/auth/login?returnTo=/`));
  /** The provider's authorization endpoint for a pushed request, as in test/unit/par.test.ts. */
  const authorize = (url: string) => {
    const front = new URL(url);
    const body = pushed.get(front.searchParams.get('request_uri') ?? '');
    if (!body || body.get('client_id') !== front.searchParams.get('client_id')) throw new Error('invalid_request_uri');
    const full = new URL(front.origin + front.pathname);
    for (const [key, value] of body) full.searchParams.set(key, value);
    return fake.authorize(full.href);
  };
  return { fake, server, pushes, control, login, authorize };
}

it('pushes with the fake provider too, and the login completes', async () => {
  const world = await parWorld();
  const start = await world.login();
  expect(start.status).toBe(303);
  const location = start.headers.get('location') as string;
  expect([...new URL(location).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
  const pushed = world.pushes[0] as URLSearchParams;
  expect(pushed.get('client_id')).toBe('app');
  expect(pushed.get('redirect_uri')).toBe(`${APP}/auth/callback`);
  const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const done = await world.server.handle(new Request(world.authorize(location), { headers: { cookie } }));
  expect(done.headers.getSetCookie().some((c) => c.startsWith('__Host-oidc-session='))).toBe(true);
  expect(world.fake.count('/token', 'authorization_code')).toBe(1);
});

describe('a failed push answers GET login and starts no pending login', () => {
  async function failed(answer: (() => Response) | undefined, metadata?: Record<string, unknown>, options: Partial<SessionServerOptions> = {}) {
    const world = await parWorld(metadata, options);
    world.control.answer = answer;
    const response = await world.login();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('location')).toBeNull();
    return { response, body: await response.json(), world };
  }
  const json = (body: unknown, status: number) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('an error answer: 502 provider_error', async () => {
    const { response, body, world } = await failed(() => json({ error: 'invalid_request' }, 400));
    expect(response.status).toBe(502);
    expect(body).toEqual({ error: 'provider_error' });
    expect(world.pushes).toHaveLength(1);
  });

  it('503: 502 provider_unavailable with Retry-After', async () => {
    const { response, body } = await failed(() => new Response('later', { status: 503, headers: { 'retry-after': '7' } }));
    expect(response.status).toBe(502);
    expect(body).toEqual({ error: 'provider_unavailable' });
    expect(response.headers.get('retry-after')).toBe('7');
  });

  it.each([
    ['a request_uri of 5000 characters', { request_uri: `urn:ietf:params:oauth:request_uri:${'a'.repeat(5000 - 34)}`, expires_in: 60 }],
    ['a numeric request_uri', { request_uri: 5, expires_in: 60 }],
    ['an expires_in of 0', { request_uri: 'urn:ietf:params:oauth:request_uri:x', expires_in: 0 }],
  ])('%s: 502 provider_error', async (_, answer) => {
    const { response, body } = await failed(() => json(answer, 201));
    expect(response.status).toBe(502);
    expect(body).toEqual({ error: 'provider_error' });
  });

  it('an http: endpoint with an https: issuer: 502 provider_error, nothing pushed', async () => {
    const { response, body, world } = await failed(undefined, { pushed_authorization_request_endpoint: 'http://op.test/par' });
    expect(response.status).toBe(502);
    expect(body).toEqual({ error: 'provider_error' });
    expect(world.pushes).toEqual([]);
  });

  it("'auto' with a document that requires pushing and names no endpoint: 502 provider_error", async () => {
    const { response, body, world } = await failed(undefined, { require_pushed_authorization_requests: true }, { pushedAuthorizationRequests: 'auto' });
    expect(response.status).toBe(502);
    expect(body).toEqual({ error: 'provider_error' });
    expect(world.pushes).toEqual([]);
  });

  it('true with no endpoint at all: 500 server_error (a configuration error)', async () => {
    const { response, body } = await failed(undefined, {});
    expect(response.status).toBe(500);
    expect(body).toEqual({ error: 'server_error' });
  });
});
