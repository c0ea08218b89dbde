// The session server as a confidential client (client_secret_basic, client_secret_post) and as a
// public one (PKCE alone), each against a provider that accepts only that method for the client.
import { afterEach, describe, expect, test } from 'vitest';
import { call, login, startWorld, type World } from './harness.js';

/** How each token request authenticated the client: Basic header, secret in the body, or neither. */
const seen: string[] = [];
const recordClientAuth = async (ctx: any, next: () => Promise<void>) => {
  await next();
  if (ctx.oidc?.route !== 'token') return;
  const basic = /^Basic /.test(String(ctx.get('authorization')));
  seen.push(basic ? 'client_secret_basic' : ctx.oidc.params?.client_secret ? 'client_secret_post' : 'none');
};

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe.each([
  ['client_secret_basic', {}],
  ['client_secret_post', { tokenEndpointAuthMethod: 'client_secret_post' as const }],
  ['none', { tokenEndpointAuthMethod: 'none' as const, clientSecret: undefined }],
])('token endpoint authentication: %s', (method, options) => {
  test('login redeems the code and the token route refreshes with the same method', async () => {
    seen.length = 0;
    world = await startWorld({ authMethod: method, providerMiddleware: [recordClientAuth] });
    await world.startApp({ ...options, tokenRoute: true });
    const { jar, finalUrl } = await login(world);
    expect(finalUrl).toBe(`${world.appOrigin}/home`);
    const refreshes = world.provider.count('token', 'refresh_token');
    const token = await call(world, jar, '/auth/token?forceRefresh=1', { csrf: true });
    expect(token.status).toBe(200);
    expect(world.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
    // The provider accepted every token request: none was refused as a client-authentication failure.
    expect(world.provider.requests.filter((r) => r.route === 'token' && r.status !== 200)).toEqual([]);
    // The code exchange and the refresh both authenticated the way the client is registered.
    expect(seen).toEqual([method, method]);
  });
});
