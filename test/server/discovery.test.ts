// The session server checks the provider's discovery document as browser mode does (one rule set,
// src/protocol/discovery.ts): OpenID Connect Discovery 1.0 §3 required members (issuer, authorization_endpoint,
// token_endpoint, jwks_uri, response_types_supported with "code", subject_types_supported,
// id_token_signing_alg_values_supported), §4.3 the issuer identical to ours, and every endpoint the user
// or a secret is sent to https: (RFC 6749 §3.1, RP-Initiated Logout §2). oauth4webapi checks only the
// issuer; the server used to put an `http:` authorization endpoint in the login redirect and a
// `javascript:` end-session endpoint in the logout answer.
import { describe, expect, test } from 'vitest';
import { createFakeProvider } from '../unit/fake-provider.js';
import { APP, serverFor } from './fake-provider-server.js';

async function serverWith(change: (metadata: Record<string, unknown>) => Record<string, unknown>) {
  const fake = await createFakeProvider({ clientId: 'app' });
  fake.hooks.discovery = async (normal) => fake.json(change((await normal().json()) as Record<string, unknown>));
  const server = serverFor(fake);
  return { fake, server };
}

const without = (name: string) => (m: Record<string, unknown>) => {
  const { [name]: _gone, ...rest } = m;
  return rest;
};

describe('a discovery document the server refuses: GET login answers 502 provider_error and redirects nowhere', () => {
  test.each<[string, (m: Record<string, unknown>) => Record<string, unknown>]>([
    ['an http: authorization_endpoint', (m) => ({ ...m, authorization_endpoint: 'http://op.example/authorize' })],
    ['a javascript: authorization_endpoint', (m) => ({ ...m, authorization_endpoint: 'javascript:alert(document.domain)//' })],
    ['a javascript: end_session_endpoint', (m) => ({ ...m, end_session_endpoint: 'javascript:alert(document.domain)//' })],
    ['an http: end_session_endpoint (the ID token hint in clear)', (m) => ({ ...m, end_session_endpoint: 'http://op.example/logout' })],
    ['an http: revocation_endpoint', (m) => ({ ...m, revocation_endpoint: 'http://op.example/revoke' })],
    ['a data: token_endpoint', (m) => ({ ...m, token_endpoint: 'data:text/plain,x' })],
    ['no jwks_uri', without('jwks_uri')],
    ['no response_types_supported', without('response_types_supported')],
    ['response_types_supported without "code"', (m) => ({ ...m, response_types_supported: ['id_token'] })],
    ['no subject_types_supported', without('subject_types_supported')],
    ['no id_token_signing_alg_values_supported', without('id_token_signing_alg_values_supported')],
    ['a list member that is not a string', (m) => ({ ...m, subject_types_supported: [1] })],
    ['a non-boolean iss flag', (m) => ({ ...m, authorization_response_iss_parameter_supported: 'yes' })],
    ['another issuer', (m) => ({ ...m, issuer: 'https://evil.test' })],
  ])('%s', async (_, change) => {
    const { server } = await serverWith(change);
    const response = await server.handle(new Request(`${APP}/auth/login?returnTo=/`));
    expect(response.status).toBe(502);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/^provider_/) });
  });

  test('the control: the unchanged document starts a login at its https: authorization endpoint', async () => {
    const { server, fake } = await serverWith((m) => m);
    const response = await server.handle(new Request(`${APP}/auth/login?returnTo=/`));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(new RegExp(`^${fake.issuer}`));
  });
});
