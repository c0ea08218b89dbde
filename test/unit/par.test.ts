// oidc-session/par (RFC 9126) against the fake provider, with a pushed-authorization endpoint added in
// front of its fetch: what is pushed, where the browser goes, and every way the push can fail before
// the browser goes anywhere.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, NetworkError, OAuthError, ProtocolError, type AuthClientOptions } from '../../src/index.js';
import { par, type PushMode } from '../../src/par/index.js';
import { setup } from './harness.js';

const ENDPOINT = 'https://op.test/par';

interface Push {
  url: string;
  init: RequestInit;
  body: URLSearchParams;
}

/**
 * A fake provider whose discovery document carries `metadata` on top of its own, and a PAR endpoint at
 * `/par` that keeps each pushed request under a fresh `request_uri` (or answers what `answer` says).
 */
async function parWorld(options: { metadata?: Record<string, unknown>; mode?: PushMode; issuer?: string; client?: Partial<AuthClientOptions> } = {}) {
  const world = await setup(options.issuer ? { issuer: options.issuer } : {});
  const { provider } = world;
  const metadata = options.metadata ?? { pushed_authorization_request_endpoint: ENDPOINT };
  provider.hooks.discovery = async (normal) => provider.json({ ...((await normal().json()) as object), ...metadata });
  const pushes: Push[] = [];
  const pushed = new Map<string, URLSearchParams>();
  const control: { answer?: (body: URLSearchParams) => Response } = {};
  const fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    if (url.pathname === '/par') {
      const body = new URLSearchParams(init.body as URLSearchParams);
      pushes.push({ url: url.href, init, body });
      if (control.answer) return control.answer(body);
      const requestUri = `urn:ietf:params:oauth:request_uri:${randomUUID()}`;
      pushed.set(requestUri, body);
      return provider.json({ request_uri: requestUri, expires_in: 60 }, 201);
    }
    return provider.fetch(input, init);
  }) as typeof globalThis.fetch;
  const client = world.makeClient({ fetch, par: par(options.mode), ...options.client });
  const navigated: string[] = [];
  const navigate = (url: string) => void navigated.push(url);

  /**
   * The provider's authorization endpoint for a pushed request: the `request_uri` names the pushed
   * parameters (once), and the front channel's `client_id` must be the pushed one, as RFC 9126 §4 says.
   */
  function authorize(url: string, sub = 'alice'): string {
    const front = new URL(url);
    const requestUri = front.searchParams.get('request_uri') ?? '';
    const body = pushed.get(requestUri);
    pushed.delete(requestUri);
    if (!body || body.get('client_id') !== front.searchParams.get('client_id')) throw new Error('invalid_request_uri');
    const full = new URL(front.origin + front.pathname);
    for (const [key, value] of body) full.searchParams.set(key, value);
    return provider.authorize(full.href, sub);
  }

  const pendingLogins = () => [...world.storage.map.keys()].filter((key) => key.includes(':txn:'));
  return { ...world, client, pushes, navigated, navigate, authorize, control, pendingLogins };
}

describe('par()', () => {
  it('pushes every authorization parameter and client_id, and sends the browser with client_id and request_uri only', async () => {
    const world = await parWorld({ client: { authorizationParams: { audience: 'api' } } });
    await world.client.login({ navigate: world.navigate, params: { ui_locales: 'de', max_age: '300' } });

    expect(world.pushes).toHaveLength(1);
    const [push] = world.pushes as [Push];
    expect(push.url).toBe(ENDPOINT);
    expect(push.init.method).toBe('POST');
    expect(push.init.redirect).toBe('manual');
    expect(push.init.signal).toBeInstanceOf(AbortSignal);
    const form = push.body;
    expect([...form.keys()].sort()).toEqual(
      ['audience', 'client_id', 'code_challenge', 'code_challenge_method', 'max_age', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state', 'ui_locales'].sort(),
    );
    expect(form.get('client_id')).toBe('spa');
    expect(form.get('redirect_uri')).toBe('https://rp.test/cb');
    expect(form.get('response_type')).toBe('code');
    expect(form.get('scope')).toBe('openid profile email');
    expect(form.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(form.get('code_challenge_method')).toBe('S256');
    expect(form.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(form.get('audience')).toBe('api');
    expect(form.get('ui_locales')).toBe('de');
    expect(form.get('max_age')).toBe('300');
    // The pushed state is the pending login's.
    expect(world.pendingLogins()).toEqual([`oidc-session:v1:spa:txn:${form.get('state')}`]);

    expect(world.navigated).toHaveLength(1);
    const front = new URL(world.navigated[0] as string);
    expect(front.origin + front.pathname).toBe('https://op.test/authorize');
    expect([...front.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(front.searchParams.get('client_id')).toBe('spa');
    expect(front.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('keeps the query the authorization endpoint has of its own', async () => {
    const world = await parWorld({
      metadata: { pushed_authorization_request_endpoint: ENDPOINT, authorization_endpoint: 'https://op.test/authorize?tenant=t1' },
    });
    await world.client.login({ navigate: world.navigate });
    const front = new URL(world.navigated[0] as string);
    expect(front.pathname).toBe('/authorize');
    expect([...front.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri', 'tenant']);
    expect(front.searchParams.get('tenant')).toBe('t1');
  });

  it('completes the login when the provider sends the user back', async () => {
    const world = await parWorld();
    await world.client.login({ navigate: world.navigate, returnTo: '/after' });
    const result = await world.client.handleCallback(world.authorize(world.navigated[0] as string, 'ann'));
    expect(result.returnTo).toBe('/after');
    expect(result.user.sub).toBe('ann');
    expect(world.client.state.status).toBe('authenticated');
    expect(world.provider.count('/token', 'authorization_code')).toBe(1);
    expect(world.pendingLogins()).toEqual([]);
  });

  it('fails the login before navigating, leaving no pending login, when the provider has no endpoint', async () => {
    const world = await parWorld({ metadata: {} });
    const error = await world.client.login({ navigate: world.navigate }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'par', message: 'par: the provider has no pushed_authorization_request_endpoint' });
    expect(world.navigated).toEqual([]);
    expect(world.pushes).toEqual([]);
    expect(world.pendingLogins()).toEqual([]);
  });

  it('refuses a mode it does not know', () => {
    expect(() => par('sometimes' as PushMode)).toThrow(ConfigError);
  });
});

describe("par('auto')", () => {
  it('sends the login the usual way when the provider does not require pushing', async () => {
    const world = await parWorld({ mode: 'auto', metadata: { pushed_authorization_request_endpoint: ENDPOINT, require_pushed_authorization_requests: false } });
    await world.client.login({ navigate: world.navigate });
    expect(world.pushes).toEqual([]);
    const front = new URL(world.navigated[0] as string);
    expect(front.searchParams.get('request_uri')).toBeNull();
    expect(front.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(front.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
  });

  it('pushes when the provider requires it', async () => {
    const world = await parWorld({ mode: 'auto', metadata: { pushed_authorization_request_endpoint: ENDPOINT, require_pushed_authorization_requests: true } });
    await world.client.login({ navigate: world.navigate });
    expect(world.pushes).toHaveLength(1);
    expect([...new URL(world.navigated[0] as string).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const result = await world.client.handleCallback(world.authorize(world.navigated[0] as string));
    expect(result.user.sub).toBe('alice');
  });

  it('does not take a require flag that is not the boolean true', async () => {
    const world = await parWorld({ mode: 'auto', metadata: { pushed_authorization_request_endpoint: ENDPOINT, require_pushed_authorization_requests: 'true' } });
    await world.client.login({ navigate: world.navigate });
    expect(world.pushes).toEqual([]);
  });

  it('refuses a document that requires pushing but names no endpoint', async () => {
    const world = await parWorld({ mode: 'auto', metadata: { require_pushed_authorization_requests: true } });
    const error = await world.client.login({ navigate: world.navigate }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'invalid_discovery' });
    expect(world.navigated).toEqual([]);
    expect(world.pendingLogins()).toEqual([]);
  });
});

describe('the pushed-authorization endpoint', () => {
  it.each(['http://op.test/par', 'http://localhost/par', 'javascript:alert(1)', 'not a url', 42])('refuses %j (https: only, with an https: issuer)', async (endpoint) => {
    const world = await parWorld({ metadata: { pushed_authorization_request_endpoint: endpoint } });
    const error = await world.client.login({ navigate: world.navigate }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'insecure_endpoint' });
    expect(world.pushes).toEqual([]);
    expect(world.navigated).toEqual([]);
    expect(world.pendingLogins()).toEqual([]);
  });

  it('may be http: on a loopback host when the issuer is a loopback development one', async () => {
    const world = await parWorld({ issuer: 'http://127.0.0.1:8080', metadata: { pushed_authorization_request_endpoint: 'http://127.0.0.1:8080/par' } });
    await world.client.login({ navigate: world.navigate });
    expect(world.pushes.map((push) => push.url)).toEqual(['http://127.0.0.1:8080/par']);
    expect([...new URL(world.navigated[0] as string).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
  });
});

describe('the push answer', () => {
  async function failedLogin(answer: (body: URLSearchParams) => Response) {
    const world = await parWorld();
    world.control.answer = answer;
    const error = await world.client.login({ navigate: world.navigate }).catch((e: unknown) => e);
    // Whatever went wrong, the browser stayed and no pending login was left behind.
    expect(world.pushes).toHaveLength(1);
    expect(world.navigated).toEqual([]);
    expect(world.pendingLogins()).toEqual([]);
    return { error, world };
  }

  it('turns an error answer into an OAuthError', async () => {
    const { error, world } = await failedLogin(() => new Response(JSON.stringify({ error: 'invalid_request', error_description: 'bad scope' }), { status: 400, headers: { 'content-type': 'application/json' } }));
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: 'oauth_error', error: 'invalid_request', description: 'bad scope' });
    expect((error as Error).message).toBe('pushed authorization request at op.test: the provider answered "invalid_request"');
    // The push went to the PAR endpoint only: nothing reached the token endpoint.
    expect(world.provider.count('/token')).toBe(0);
  });

  it('turns invalid_client into an OAuthError too', async () => {
    const { error } = await failedLogin(() => new Response(JSON.stringify({ error: 'invalid_client' }), { status: 401, headers: { 'content-type': 'application/json' } }));
    expect(error).toMatchObject({ name: 'OAuthError', error: 'invalid_client' });
  });

  it.each([500, 503, 429])('turns %i into a NetworkError', async (status) => {
    const { error } = await failedLogin(() => new Response('later', { status }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'network_error' });
  });

  it.each([
    ['a request_uri of 5000 characters', { request_uri: `urn:ietf:params:oauth:request_uri:${'a'.repeat(5000 - 34)}`, expires_in: 60 }],
    ['a request_uri of 2049 characters', { request_uri: `urn:ietf:params:oauth:request_uri:${'a'.repeat(2049 - 34)}`, expires_in: 60 }],
    ['a numeric request_uri', { request_uri: 12345, expires_in: 60 }],
    ['an empty request_uri', { request_uri: '', expires_in: 60 }],
    ['no request_uri', { expires_in: 60 }],
    ['no expires_in', { request_uri: 'urn:ietf:params:oauth:request_uri:x' }],
    ['an expires_in of 0', { request_uri: 'urn:ietf:params:oauth:request_uri:x', expires_in: 0 }],
    ['a negative expires_in', { request_uri: 'urn:ietf:params:oauth:request_uri:x', expires_in: -5 }],
  ])('refuses %s with a ProtocolError', async (_, body) => {
    const { error } = await failedLogin(() => new Response(JSON.stringify(body), { status: 201, headers: { 'content-type': 'application/json' } }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'unexpected_response' });
    expect((error as Error).message).toMatch(/^pushed authorization request at op\.test: /);
  });

  const good = JSON.stringify({ request_uri: 'urn:x', expires_in: 60 });
  it.each([
    ['a 200 instead of 201', 200, 'application/json', good],
    ['a 302', 302, 'application/json', good],
    ['an HTML page', 201, 'text/html', '<html><body>Sign in</body></html>'],
    ['a JSON array', 201, 'application/json', '[]'],
  ])('refuses %s with a ProtocolError', async (_, status, type, body) => {
    const { error } = await failedLogin(() => new Response(body, { status, headers: { 'content-type': type } }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'unexpected_response' });
  });

  it('accepts a request_uri of exactly 2048 characters', async () => {
    const world = await parWorld();
    const requestUri = `urn:ietf:params:oauth:request_uri:${'a'.repeat(2048 - 34)}`;
    world.control.answer = () => world.provider.json({ request_uri: requestUri, expires_in: 60 }, 201);
    await world.client.login({ navigate: world.navigate });
    expect(new URL(world.navigated[0] as string).searchParams.get('request_uri')).toBe(requestUri);
  });
});
