import { describe, expect, it } from 'vitest';
import { setup, type Setup } from './harness.js';

// OpenID Connect Discovery 1.0 §3: issuer, authorization_endpoint, token_endpoint, jwks_uri,
// response_types_supported, subject_types_supported and id_token_signing_alg_values_supported are
// REQUIRED; §4.3: issuer identical to the one discovery started from. The same rules for a fetched
// document, a stored copy and the app's `metadata` option. Decisions: jwks_uri is required and must be
// https: although the SDK validates ID tokens by TLS to the token endpoint (OIDC Core §3.1.3.7 step 6)
// and never fetches keys; response_types_supported must include "code", the only flow we run; the
// three lists must be non-empty arrays of strings. Optional members we read keep their type:
// end_session_endpoint, revocation_endpoint, userinfo_endpoint (https: URLs),
// authorization_response_iss_parameter_supported (boolean). code_challenge_methods_supported is not
// read (S256 is pinned), so it is not checked.

const DISCOVERY_PATH = '/.well-known/openid-configuration';
type Doc = Record<string, unknown>;

async function documentOf(provider: Setup['provider']): Promise<Doc> {
  const document = (await (await provider.fetch(`${provider.issuer}${DISCOVERY_PATH}`)).json()) as Doc;
  provider.requests.length = 0;
  return document;
}

const REQUIRED = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported'];
const LISTS = ['response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported'];
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint', 'userinfo_endpoint'];

const rows: Array<[string, (d: Doc) => Doc]> = [
  ...REQUIRED.map((name): [string, (d: Doc) => Doc] => [`${name} missing`, (d) => ({ ...d, [name]: undefined })]),
  ...LISTS.flatMap((name): Array<[string, (d: Doc) => Doc]> => [
    [`${name} a string`, (d) => ({ ...d, [name]: 'code' })],
    [`${name} empty`, (d) => ({ ...d, [name]: [] })],
    [`${name} with a number`, (d) => ({ ...d, [name]: ['code', 1] })],
  ]),
  ['response_types_supported without "code"', (d) => ({ ...d, response_types_supported: ['id_token', 'token id_token'] })],
  ...ENDPOINTS.flatMap((name): Array<[string, (d: Doc) => Doc]> => [
    [`${name} a number`, (d) => ({ ...d, [name]: 42 })],
    [`${name} plain http:`, (d) => ({ ...d, [name]: `http://op.test/${name}` })],
  ]),
  ['authorization_response_iss_parameter_supported "true"', (d) => ({ ...d, authorization_response_iss_parameter_supported: 'true' })],
];

describe('required discovery members (Discovery §3, §4.3)', () => {
  it.each(rows)('DS-REQ fetched metadata with %s: ProtocolError, no navigation, nothing cached', async (_, patch) => {
    const { client, provider, navigations, storage } = await setup();
    provider.hooks.discovery = async (normal) => new Response(JSON.stringify(patch((await normal().json()) as Doc)), { headers: { 'content-type': 'application/json' } });
    await expect(client.login()).rejects.toMatchObject({ name: 'ProtocolError' });
    expect(navigations).toEqual([]);
    expect(storage.map.size).toBe(0);
  });

  it.each(rows)('DS-REQ the metadata option with %s: ConfigError naming metadata, no request', async (_, patch) => {
    const { makeClient, provider, navigations } = await setup();
    const client = makeClient({ metadata: patch(await documentOf(provider)) });
    await expect(client.login()).rejects.toMatchObject({ name: 'ConfigError', option: 'metadata' });
    expect(provider.requests).toEqual([]);
    expect(navigations).toEqual([]);
  });

  it.each(rows)('DS-REQ a stored copy with %s: ignored and refetched', async (_, patch) => {
    const { makeClient, provider, navigations, storage, clock } = await setup();
    storage.map.set('oidc-session:v1:spa:discovery', JSON.stringify({ at: clock.now(), metadata: patch(await documentOf(provider)) }));
    await makeClient().login();
    expect(provider.count(DISCOVERY_PATH)).toBe(1);
    expect(navigations).toHaveLength(1);
  });

  it.each([
    ['a 500', () => new Response('{}', { status: 500 }), 'NetworkError'],
    ['a 404', () => new Response('{"issuer":"https://op.test"}', { status: 404, headers: { 'content-type': 'application/json' } }), 'ProtocolError'],
    ['an array', () => new Response('[]', { headers: { 'content-type': 'application/json' } }), 'ProtocolError'],
    ['null', () => new Response('null', { headers: { 'content-type': 'application/json' } }), 'ProtocolError'],
    ['not JSON', () => new Response('<html>', { headers: { 'content-type': 'text/html' } }), 'ProtocolError'],
  ])('DS-REQ a discovery answer of %s: typed error, no navigation', async (_, answer, name) => {
    const { client, provider, navigations } = await setup();
    provider.hooks.discovery = answer;
    await expect(client.login()).rejects.toMatchObject({ name });
    expect(navigations).toEqual([]);
  });

  it('DS-REQ the complete document is accepted', async () => {
    const { makeClient, provider, navigations } = await setup();
    await makeClient({ metadata: await documentOf(provider) }).login();
    expect(navigations).toHaveLength(1);
  });
});
