// createSessionServer validates its options up front: a bad one is a ConfigError naming that option.
import { describe, expect, test } from 'vitest';
import { ConfigError, cookieStore, createSessionServer, memoryStore, redisStore, type SessionServerOptions } from '../../src/server/index.js';

const valid: SessionServerOptions = {
  issuer: 'https://id.example',
  clientId: 'app',
  clientSecret: 'client-secret',
  appUrl: 'https://app.example',
  secret: 'x'.repeat(32),
};

function configError(options: unknown): ConfigError {
  try {
    createSessionServer(options as SessionServerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted: ${JSON.stringify(options)}`);
}

describe('bad options are refused, naming the option', () => {
  const cases: [string, Partial<Record<keyof SessionServerOptions, unknown>> & Record<string, unknown>, string][] = [
    ['a 31-character secret', { secret: 'x'.repeat(31) }, 'secret'],
    ['a secret list with a short one', { secret: ['x'.repeat(32), 'short'] }, 'secret'],
    ['an empty secret list', { secret: [] }, 'secret'],
    ['no secret', { secret: undefined }, 'secret'],
    ['a non-string secret', { secret: 12345678901234567890123456789012345 }, 'secret'],
    ['an http: issuer off loopback', { issuer: 'http://id.example' }, 'issuer'],
    ['an issuer that is no URL', { issuer: 'id.example' }, 'issuer'],
    ['an issuer with a query', { issuer: 'https://id.example/?tenant=1' }, 'issuer'],
    ['an http: appUrl off loopback', { appUrl: 'http://app.example' }, 'appUrl'],
    ['an http: appUrl on a look-alike host', { appUrl: 'http://localhost.evil.example' }, 'appUrl'],
    ['an http: postLogoutRedirectUri off loopback', { postLogoutRedirectUri: 'http://app.example/bye' }, 'postLogoutRedirectUri'],
    ['tokenRoute with the cookie store', { tokenRoute: true, store: cookieStore() }, 'tokenRoute'],
    ['a non-boolean tokenRoute', { tokenRoute: 'yes' }, 'tokenRoute'],
    ['an unknown option (a typo)', { idleTimeoutSecond: 60 }, 'idleTimeoutSecond'],
    ['a basePath without a leading slash', { basePath: 'auth' }, 'basePath'],
    ['a basePath with a double slash', { basePath: '/a//auth' }, 'basePath'],
    ['a basePath with a query', { basePath: '/auth?x=1' }, 'basePath'],
    ['a basePath with a space', { basePath: '/my auth' }, 'basePath'],
    ['an empty basePath', { basePath: '' }, 'basePath'],
    ['a scope without openid', { scope: 'profile email' }, 'scope'],
    ['a zero idle timeout', { idleTimeoutSeconds: 0 }, 'idleTimeoutSeconds'],
    ['an infinite absolute timeout', { absoluteTimeoutSeconds: Infinity }, 'absoluteTimeoutSeconds'],
    ['a string timeout', { storeTimeoutSeconds: '2' }, 'storeTimeoutSeconds'],
    ['a store that is no store', { store: { get() {} } }, 'store'],
    ['a cookie name with a space', { cookieName: 'my session' }, 'cookieName'],
    // Cookie tossing from a sibling subdomain (RFC 6265bis §4.1.3.2): only __Host- names are host-only for sure.
    ['a cookie name without the __Host- prefix', { cookieName: 'sid' }, 'cookieName'],
    ['a cookie name with the weaker __Secure- prefix', { cookieName: '__Secure-sid' }, 'cookieName'],
    ['a cookie name with the prefix in another case', { cookieName: '__host-sid' }, 'cookieName'],
    ['an unknown client authentication method', { tokenEndpointAuthMethod: 'private_key_jwt' }, 'tokenEndpointAuthMethod'],
    ['client_secret_post without a secret', { tokenEndpointAuthMethod: 'client_secret_post', clientSecret: undefined }, 'clientSecret'],
    ['a symmetric ID token algorithm', { idTokenSigningAlg: 'HS256' }, 'idTokenSigningAlg'],
    ['a clock that is no function', { now: 5 }, 'now'],
    ['an empty clientId', { clientId: ' ' }, 'clientId'],
    // A public client only when asked for (browser-based-apps BCP §6.1: a BFF is a confidential client).
    ['no clientSecret and no tokenEndpointAuthMethod', { clientSecret: undefined }, 'clientSecret'],
    ["a clientSecret with tokenEndpointAuthMethod 'none'", { tokenEndpointAuthMethod: 'none' }, 'clientSecret'],
    ['a configured max_age that is not whole seconds', { authorizationParams: { max_age: '1e3' } }, 'authorizationParams'],
    ['an empty requiredAcr', { requiredAcr: [] }, 'requiredAcr'],
    ['a requiredAcr with a space in a value', { requiredAcr: ['urn:a urn:b'] }, 'requiredAcr'],
    ['a requiredAcr that is a string', { requiredAcr: 'urn:mfa' }, 'requiredAcr'],
    ["sessionCookieSameSite 'none'", { sessionCookieSameSite: 'none' }, 'sessionCookieSameSite'],
    ['a zero maxSessionsPerUser', { maxSessionsPerUser: 0 }, 'maxSessionsPerUser'],
    ['a fractional maxSessionsPerUser', { maxSessionsPerUser: 2.5 }, 'maxSessionsPerUser'],
    ['a string maxSessionsPerUser', { maxSessionsPerUser: '5' }, 'maxSessionsPerUser'],
    ['an unbounded maxSessionsPerUser', { maxSessionsPerUser: Infinity }, 'maxSessionsPerUser'],
  ];
  test.each(cases)('%s', (_what, change, option) => {
    const error = configError({ ...valid, ...change });
    expect(error.option).toBe(option);
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain(option);
  });

  test('options that are not an object', () => {
    expect(configError(undefined).option).toBe('options');
    expect(configError(null).option).toBe('options');
  });

  test('redisStore without a Redis client', () => {
    for (const client of [undefined, {}, { get: () => undefined }]) {
      expect(() => redisStore({ client } as never)).toThrow(expect.objectContaining({ name: 'ConfigError', option: 'client' }));
    }
  });

  test('redisStore with a prefix that would set the Cluster hash tag of every key', () => {
    const client = { sendCommand: async () => null };
    for (const prefix of ['{app}:', 'app{', 1, ['a']]) {
      expect(() => redisStore({ client, prefix } as never)).toThrow(expect.objectContaining({ name: 'ConfigError', option: 'prefix' }));
    }
    expect(() => redisStore({ client, prefix: 'app}:' })).not.toThrow();
  });
});

describe('good options are accepted', () => {
  test.each([
    ['the minimum', {}],
    ['http: on loopback for development', { issuer: 'http://localhost:8080', appUrl: 'http://127.0.0.1:3000' }],
    ['a rotation list', { secret: ['n'.repeat(40), 'o'.repeat(32)] }],
    ['a public client', { clientSecret: undefined, tokenEndpointAuthMethod: 'none' }],
    ['every option', {
      basePath: '/api/auth/', postLogoutRedirectUri: 'https://app.example/bye', scope: 'openid offline_access', store: memoryStore(),
      idleTimeoutSeconds: 60, absoluteTimeoutSeconds: 3600, tokenRoute: true, cookieName: '__Host-app', authorizationParams: { audience: 'api' },
      idTokenSigningAlg: 'ES256', leewaySeconds: 0, requestTimeoutSeconds: 5, storeTimeoutSeconds: 0.5, fetch, now: Date.now,
      requiredAcr: ['urn:mfa'], sessionCookieSameSite: 'lax',
    }],
  ] as [string, Partial<SessionServerOptions>][])('%s', (_what, change) => {
    const server = createSessionServer({ ...valid, ...change });
    expect(server.cookieName).toBe(change.cookieName ?? '__Host-oidc-session');
    const base = (change.basePath ?? '/auth').replace(/\/$/, '');
    expect(server.owns(`${base}/login`)).toBe(true);
    expect(server.owns(`${base}x/login`)).toBe(false);
  });
});
