// The session server's `pushedAuthorizationRequests` option against the real oidc-provider: 'auto'
// leaves a provider that does not require pushing alone, `true` pushes there (with either client
// authentication method), and `true` with a provider that has no endpoint fails the login as a
// configuration error before any pending login is started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createSessionServer } from '../../src/server/index.js';
import { CLIENT_ID, CLIENT_SECRET, SECRET, call, loginAt, startWorld, type World } from './harness.js';

const pushCount = (world: World) => world.provider.requests.filter((r) => r.route === 'pushed_authorization_request').length;

describe('the option', () => {
  const base = { issuer: 'https://op.example', clientId: 'app', clientSecret: 'a-secret', appUrl: 'https://app.example', secret: SECRET };
  it.each(['auto', true, false, undefined])('accepts %j', (value) => {
    expect(() => createSessionServer({ ...base, pushedAuthorizationRequests: value as never })).not.toThrow();
  });
  it.each(['yes', 'always', 1, 0, {}])('refuses %j', (value) => {
    let error: unknown;
    try {
      createSessionServer({ ...base, pushedAuthorizationRequests: value as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'pushedAuthorizationRequests' });
  });
});

describe('with a provider that offers pushing without requiring it', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  it("'auto' (the default) sends the request in the URL", async () => {
    const app = await world.startApp();
    try {
      const before = pushCount(world);
      const { hops, finalUrl } = await loginAt(world);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      expect(pushCount(world)).toBe(before);
      const front = new URL(hops[1] as string);
      expect(front.searchParams.get('request_uri')).toBeNull();
      expect(front.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    } finally {
      await app.close();
    }
  });

  it('true pushes every login, which completes', async () => {
    const app = await world.startApp({ pushedAuthorizationRequests: true });
    try {
      const before = pushCount(world);
      const { hops, finalUrl, jar } = await loginAt(world);
      expect(pushCount(world)).toBe(before + 1);
      expect([...new URL(hops[1] as string).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      expect((await call(world, jar, '/auth/session')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('with a confidential client authenticating with client_secret_post', () => {
  let world: World;
  const authorizations: Array<string | undefined> = [];
  const secrets: unknown[] = [];
  beforeAll(async () => {
    world = await startWorld({
      authMethod: 'client_secret_post',
      providerMiddleware: [
        async (ctx, next) => {
          await next();
          if (ctx.oidc?.route === 'pushed_authorization_request') {
            authorizations.push(ctx.headers.authorization);
            secrets.push(ctx.oidc.body?.client_secret);
          }
        },
      ],
    });
  });
  afterAll(() => world.close());

  it('pushes with the secret in the form, as at the token endpoint', async () => {
    const app = await world.startApp({ pushedAuthorizationRequests: true, tokenEndpointAuthMethod: 'client_secret_post' });
    try {
      const { finalUrl } = await loginAt(world);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      expect(authorizations).toEqual([undefined]);
      expect(secrets).toEqual([CLIENT_SECRET]);
    } finally {
      await app.close();
    }
  });
});

describe('with a provider that has no pushed-authorization endpoint', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({
      configureProvider: (configuration) => ({ ...configuration, features: { ...configuration.features, pushedAuthorizationRequests: { enabled: false } } }),
    });
  });
  afterAll(() => world.close());

  it('true fails GET login as a configuration error (500), starting no pending login', async () => {
    const app = await world.startApp({ pushedAuthorizationRequests: true });
    try {
      const metadata = await (await fetch(`${world.provider.issuer}/.well-known/openid-configuration`)).json();
      expect(metadata.pushed_authorization_request_endpoint).toBeUndefined();
      const response = await fetch(`${world.appOrigin}/auth/login?returnTo=%2Fhome`, { redirect: 'manual' });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'server_error' });
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get('location')).toBeNull();
    } finally {
      await app.close();
    }
  });

  it("'auto' logs in the usual way", async () => {
    const app = await world.startApp();
    try {
      const { finalUrl, hops } = await loginAt(world);
      expect(finalUrl).toBe(`${world.appOrigin}/home`);
      expect(new URL(hops[1] as string).searchParams.get('client_id')).toBe(CLIENT_ID);
      expect(new URL(hops[1] as string).searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    } finally {
      await app.close();
    }
  });
});
