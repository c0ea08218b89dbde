import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { setup, type Setup } from './harness.js';

const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** The provider's own discovery document, fetched once by the test, then the request log cleared. */
async function documentOf(provider: Setup['provider']): Promise<Record<string, unknown>> {
  const response = await provider.fetch(`${provider.issuer}${DISCOVERY_PATH}`);
  const document = (await response.json()) as Record<string, unknown>;
  provider.requests.length = 0;
  return document;
}

describe('the metadata option', () => {
  it('runs login, callback, refresh and logout without a discovery request', async () => {
    const { provider, makeClient, navigations, storage, clock } = await setup();
    const client = makeClient({ metadata: await documentOf(provider) });

    await client.login();
    expect(navigations[0]).toMatch(/^https:\/\/op\.test\/authorize\?/);
    await client.handleCallback(provider.authorize(navigations[0] as string));
    clock.advance(3_600_000);
    await client.getAccessToken();
    await client.logout();

    expect(provider.count(DISCOVERY_PATH)).toBe(0);
    expect(provider.count('/token', 'authorization_code')).toBe(1);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    expect(provider.count('/token/revocation')).toBe(1);
    expect(navigations.at(-1)).toMatch(/^https:\/\/op\.test\/session\/end\?/);
    // Nothing to cache: the app holds the document.
    expect([...storage.map.keys()].filter((key) => key.endsWith(':discovery'))).toEqual([]);
  });

  it('wins over a stored copy of discovery', async () => {
    const { provider, makeClient, navigations, storage, clock } = await setup();
    const document = await documentOf(provider);
    storage.map.set(
      'oidc-session:v1:spa:discovery',
      JSON.stringify({ at: clock.now(), metadata: { ...document, authorization_endpoint: 'https://op.test/old-authorize' } }),
    );
    await makeClient({ metadata: document }).login();
    expect(navigations[0]).toMatch(/^https:\/\/op\.test\/authorize\?/);
  });

  it.each([
    ['another issuer', { issuer: 'https://evil.test' }],
    ['no issuer', { issuer: undefined }],
    ['a javascript: authorization endpoint', { authorization_endpoint: 'javascript:alert(1)' }],
    ['a plain-http token endpoint', { token_endpoint: 'http://op.test/token' }],
    ['a non-boolean iss flag', { authorization_response_iss_parameter_supported: 'yes' }],
  ])('refuses a document with %s: ConfigError naming metadata, no request, no navigation, nothing stored', async (_, patch) => {
    const { provider, makeClient, navigations, storage } = await setup();
    const client = makeClient({ metadata: { ...(await documentOf(provider)), ...patch } });
    const error = await client.login().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'invalid_config', option: 'metadata' });
    expect((error as Error).message).toMatch(/^metadata: /);
    expect(provider.requests).toEqual([]);
    expect(navigations).toEqual([]);
    expect(storage.map.size).toBe(0);
  });

  it('keeps refusing a bad document on every call, without falling back to discovery', async () => {
    const { provider, makeClient } = await setup();
    const client = makeClient({ metadata: { ...(await documentOf(provider)), token_endpoint: 'http://op.test/token' } });
    await expect(client.login()).rejects.toBeInstanceOf(ConfigError);
    await expect(client.login()).rejects.toBeInstanceOf(ConfigError);
    expect(provider.count(DISCOVERY_PATH)).toBe(0);
  });

  it('still leaves on logout when the document is bad: straight to the post-logout page', async () => {
    const { provider, makeClient, navigations } = await setup();
    const client = makeClient({ metadata: { ...(await documentOf(provider)), issuer: 'https://evil.test' } });
    await client.logout();
    expect(navigations).toEqual(['https://rp.test/bye']);
    expect(provider.requests).toEqual([]);
  });
});
