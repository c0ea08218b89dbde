import { describe, expect, it } from 'vitest';
import { ProtocolError, StorageError } from '../../src/index.js';
import { setup } from './harness.js';

const withMetadata = (patch: Record<string, unknown>) => async (normal: () => Response) => {
  const metadata = (await normal().json()) as Record<string, unknown>;
  return new Response(JSON.stringify({ ...metadata, ...patch }), { headers: { 'content-type': 'application/json' } });
};

describe('discovery', () => {
  it.each([
    ['another issuer', { issuer: 'https://evil.test' }, 'invalid_discovery'],
    ['a tenant path', { issuer: 'https://op.test/tenant2' }, 'invalid_discovery'],
    ['a non-URL issuer', { issuer: 'not a url' }, 'invalid_discovery'],
    ['a javascript: authorization endpoint', { authorization_endpoint: 'javascript:alert(1)' }, 'insecure_endpoint'],
    ['a plain-http token endpoint', { token_endpoint: 'http://op.test/token' }, 'insecure_endpoint'],
    ['a plain-http revocation endpoint', { revocation_endpoint: 'http://op.test/revoke' }, 'insecure_endpoint'],
    ['a plain-http end-session endpoint', { end_session_endpoint: 'http://op.test/end' }, 'insecure_endpoint'],
    ['no token endpoint', { token_endpoint: undefined }, 'insecure_endpoint'],
    ['a non-boolean iss flag', { authorization_response_iss_parameter_supported: 'yes' }, 'invalid_discovery'],
  ])('refuses metadata with %s before any navigation', async (_, patch, code) => {
    const { client, provider, navigations, storage } = await setup();
    provider.hooks.discovery = withMetadata(patch);
    const error = await client.login().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code });
    expect(navigations).toEqual([]);
    expect(storage.map.size).toBe(0);
  });

  it('maps an unreachable provider to NetworkError and retries on the next call', async () => {
    const { client, provider, navigations } = await setup();
    provider.hooks.discovery = () => Promise.reject(new TypeError('Failed to fetch'));
    await expect(client.login()).rejects.toMatchObject({ name: 'NetworkError', code: 'network_error' });
    delete provider.hooks.discovery;
    await client.login();
    expect(navigations.length).toBe(1);
  });

  it('revalidates a cached copy: a planted metadata entry is ignored and refetched', async () => {
    const { client, provider, storage, clock, navigations } = await setup();
    storage.map.set(
      'oidc-session:v1:spa:discovery',
      JSON.stringify({ at: clock.now(), metadata: { issuer: 'https://op.test', authorization_endpoint: 'https://evil.test/authorize', token_endpoint: 'https://evil.test/token', end_session_endpoint: 'javascript:alert(1)' } }),
    );
    await client.login();
    expect(provider.count('/.well-known/openid-configuration')).toBe(1);
    expect(navigations[0]).toMatch(/^https:\/\/op\.test\/authorize\?/);
  });

  it.each([
    ['another issuer', { issuer: 'https://evil.test' }],
    ['no issuer', { issuer: undefined }],
    ['a non-URL issuer', { issuer: 'op.test' }],
  ])('refetches a stored copy with %s', async (_, patch) => {
    const { client, provider, storage, clock, navigations } = await setup();
    const planted: Record<string, unknown> = { authorization_endpoint: 'https://evil.test/authorize', token_endpoint: 'https://evil.test/token', ...patch };
    storage.map.set('oidc-session:v1:spa:discovery', JSON.stringify({ at: clock.now(), metadata: planted }));
    await client.login();
    expect(provider.count('/.well-known/openid-configuration')).toBe(1);
    expect(navigations[0]).toMatch(/^https:\/\/op\.test\/authorize\?/);
  });

  it('uses a valid stored copy without a request (the callback page after login)', async () => {
    const { client, provider, storage, clock, navigations } = await setup();
    const response = await provider.fetch(`${provider.issuer}/.well-known/openid-configuration`);
    storage.map.set('oidc-session:v1:spa:discovery', JSON.stringify({ at: clock.now(), metadata: await response.json() }));
    provider.requests.length = 0;
    await client.login();
    expect(provider.requests).toEqual([]);
    expect(navigations[0]).toMatch(/^https:\/\/op\.test\/authorize\?/);
  });

  it('rejects login with StorageError before navigating when the transaction cannot be saved', async () => {
    const { makeClient, navigations } = await setup();
    const client = makeClient({
      storage: { get: () => undefined, set: () => { throw new DOMException('full', 'QuotaExceededError'); }, remove: () => undefined, keys: () => [] },
    });
    await expect(client.login()).rejects.toBeInstanceOf(StorageError);
    expect(navigations).toEqual([]);
  });
});
