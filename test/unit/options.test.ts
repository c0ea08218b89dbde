import { describe, expect, it } from 'vitest';
import { AuthClient, ConfigError, type AuthClientOptions } from '../../src/index.js';

const base: AuthClientOptions = { issuer: 'https://op.test', clientId: 'spa', redirectUri: 'https://rp.test/cb' };
const configErrorFor = (options: unknown) => {
  try {
    new AuthClient(options as AuthClientOptions);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('AuthClient options', () => {
  it('constructs with the three required options and does no I/O', () => {
    let fetched = 0;
    const client = new AuthClient({ ...base, fetch: async () => (fetched++, new Response()) });
    expect(client).toBeInstanceOf(AuthClient);
    expect(fetched).toBe(0);
    // Node has no sessionStorage, location or navigator.locks: constructing must not have touched them.
    expect('sessionStorage' in globalThis).toBe(false);
  });

  it.each([
    ['issuer', { ...base, issuer: undefined }],
    ['issuer', { ...base, issuer: 'not a url' }],
    ['issuer', { ...base, issuer: 'http://op.example.com' }],
    ['issuer', { ...base, issuer: 'https://op.test?x=1' }],
    ['clientId', { ...base, clientId: '' }],
    ['redirectUri', { ...base, redirectUri: '/cb' }],
    ['redirectUri', { ...base, redirectUri: 'javascript:alert(1)' }],
    // RFC 9700 §2.6, RFC 6749 §3.1.2.1: the code travels to this URL; http: only on loopback (development).
    ['redirectUri', { ...base, redirectUri: 'http://rp.example/cb' }],
    ['redirectUri', { ...base, redirectUri: 'http://localhost.evil.example/cb' }],
    ['postLogoutRedirectUri', { ...base, postLogoutRedirectUri: 'http://rp.example/' }],
    ['postLogoutRedirectUri', { ...base, postLogoutRedirectUri: ['https://rp.test/', 'http://rp.example/'] }],
    ['postLogoutRedirectUri', { ...base, postLogoutRedirectUri: [] }],
    ['scope', { ...base, scope: 'profile email' }],
    ['storage', { ...base, storage: 'local' }],
    // The built-in modes are imported adapters now; the old names are refused, not ignored.
    ['storage', { ...base, storage: 'indexeddb' }],
    ['storage', { ...base, storage: 'memory' }],
    ['storage', { ...base, storage: 'session' }],
    ['storage', { ...base, storage: { get() {} } }],
    ['authorizationParams', { ...base, authorizationParams: { nonce: 'fixed' } }],
    ['authorizationParams', { ...base, authorizationParams: { prompt: 1 } }],
    ['idTokenSigningAlg', { ...base, idTokenSigningAlg: 'HS256' }],
    ['idTokenSigningAlg', { ...base, idTokenSigningAlg: 'none' }],
    ['leewaySeconds', { ...base, leewaySeconds: -1 }],
    ['requestTimeoutSeconds', { ...base, requestTimeoutSeconds: 0 }],
    ['fetch', { ...base, fetch: 'yes' }],
    ['metadata', { ...base, metadata: 'https://op.test/.well-known/openid-configuration' }],
    ['metadata', { ...base, metadata: [] }],
    ['metadata', { ...base, metadata: null }],
    ['client_id', { ...base, client_id: 'typo' }],
  ])('throws a ConfigError naming %s', (option, options) => {
    const error = configErrorFor(options);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('invalid_config');
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });

  it.each(['http://localhost:4000', 'http://127.0.0.1:9000/realm', 'http://[::1]:8080'])('accepts the loopback http issuer %s', (issuer) => {
    expect(() => new AuthClient({ ...base, issuer })).not.toThrow();
  });

  it('rejects a non-object', () => {
    expect(configErrorFor(null).option).toBe('options');
  });
});
