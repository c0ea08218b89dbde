import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { dpop } from '../../src/dpop/index.js';
import { authFetch } from '../../src/fetch/index.js';
import { parseChallenges } from '../../src/fetch/challenges.js';
import { ConfigError, LoginRequiredError } from '../../src/index.js';
import { setup } from './harness.js';
import { hashOf, withDPoP } from './dpop-fake.js';

/** A resource server behind a fake fetch: logs what arrives and answers with `respond` (200 by default). */
function resourceServer() {
  const seen: { url: string; method: string; authorization: string | null; dpop: string | null; body: string }[] = [];
  const script: ((request: Request) => Response | undefined)[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    seen.push({ url: request.url, method: request.method, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop'), body: await request.text() });
    return script.shift()?.(request) ?? new Response('ok', { status: 200, headers: { 'x-mine': '1' } });
  };
  return { seen, script, fetch };
}

async function dpopClient(fakeOptions: Parameters<typeof withDPoP>[1] = {}) {
  const base = await setup({ accessTokenTtl: 600 });
  const fake = withDPoP(base.provider, fakeOptions);
  const client = base.makeClient({ fetch: fake.fetch, dpop: dpop({ keyStorage: 'memory' }) });
  await client.login();
  await client.handleCallback(fake.authorize(base.navigations.at(-1) as string));
  return { ...base, client, fake };
}

describe('authFetch', () => {
  it('sends a Bearer token without DPoP, the cached one: no provider request', async () => {
    const s = await setup();
    await s.signIn();
    const rs = resourceServer();
    const api = authFetch(s.client, { fetch: rs.fetch });
    const before = s.provider.requests.length;
    const response = await api('https://api.test/me');
    expect(await response.text()).toBe('ok');
    expect(rs.seen[0]?.authorization).toBe('Bearer ' + (await s.client.getAccessToken()));
    expect(rs.seen[0]?.dpop).toBeNull();
    expect(s.provider.requests.length).toBe(before);
  });

  it('sends DPoP-bound tokens under the DPoP scheme with a proof per request (ath, htm, htu without query)', async () => {
    const s = await dpopClient();
    const rs = resourceServer();
    const api = authFetch(s.client, { fetch: rs.fetch });
    await api('https://api.test/items?page=2#top', { method: 'put', body: 'x' });
    await api('https://api.test/items?page=2#top', { method: 'put', body: 'x' });
    const token = await s.client.getAccessToken();
    expect(rs.seen[0]?.authorization).toBe('DPoP ' + token);
    const proofs = rs.seen.map((r) => decodeJwt(r.dpop as string));
    expect(proofs[0]).toMatchObject({ htm: 'PUT', htu: 'https://api.test/items', ath: hashOf(token) });
    expect(proofs[0]?.jti).not.toBe(proofs[1]?.jti);
  });

  it('DP-02: retries once on use_dpop_nonce (lower-case scheme), with the nonce and the body again', async () => {
    const s = await dpopClient();
    const rs = resourceServer();
    rs.script.push(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'dpop error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': 'rs-n1' } }));
    const response = await authFetch(s.client, { fetch: rs.fetch })('https://api.test/echo', { method: 'POST', body: JSON.stringify({ a: 1 }) });
    expect(response.status).toBe(200);
    expect(rs.seen).toHaveLength(2);
    expect(rs.seen.map((r) => r.body)).toEqual(['{"a":1}', '{"a":1}']);
    expect(rs.seen.map((r) => decodeJwt(r.dpop as string).nonce)).toEqual([undefined, 'rs-n1']);
  });

  it('DP-02: a nonce demanded again after the retry comes back to the app: two hits at most', async () => {
    const s = await dpopClient();
    const rs = resourceServer();
    const challenge = () => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n' + rs.seen.length } });
    rs.script.push(challenge, challenge, challenge);
    const response = await authFetch(s.client, { fetch: rs.fetch })('https://api.test/me');
    expect(response.status).toBe(401);
    expect(rs.seen).toHaveLength(2);
  });

  it('DP-02: invalid_token refreshes once and retries once with the new token', async () => {
    const s = await dpopClient();
    const rs = resourceServer();
    const first = await s.client.getAccessToken();
    rs.script.push(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } }));
    rs.script.push(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } }));
    const response = await authFetch(s.client, { fetch: rs.fetch })('https://api.test/me');
    expect(response.status).toBe(401);
    expect(rs.seen).toHaveLength(2);
    expect(rs.seen[1]?.authorization).not.toBe('DPoP ' + first);
    expect(s.provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('returns every other response untouched', async () => {
    const s = await setup();
    await s.signIn();
    const rs = resourceServer();
    const forbidden = new Response('no', { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } });
    rs.script.push(() => forbidden);
    rs.script.push(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' } }));
    const api = authFetch(s.client, { fetch: rs.fetch });
    expect(await api('https://api.test/a')).toBe(forbidden);
    expect((await api('https://api.test/b')).status).toBe(401);
    expect(rs.seen).toHaveLength(2);
  });

  it('never sends a DPoP-bound token as Bearer: a lost key ends the session', async () => {
    const s = await dpopClient();
    const rs = resourceServer();
    // A second client on the same storage, whose key store never saw this login's key.
    const other = s.makeClient({ fetch: s.fake.fetch, dpop: dpop({ keyStorage: 'memory' }) });
    const error = await authFetch(other, { fetch: rs.fetch })('https://api.test/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect(rs.seen).toEqual([]);
    expect(other.state.status).toBe('anonymous');
  });

  it('sends tokens over TLS only (RFC 6750 §5.3): http: elsewhere than loopback, and other schemes, are refused before any token is read', async () => {
    const s = await setup();
    await s.signIn();
    const rs = resourceServer();
    const api = authFetch(s.client, { fetch: rs.fetch });
    for (const url of ['http://api.test/me', 'ftp://api.test/me', 'data:text/plain,x']) {
      await expect(api(url)).rejects.toBeInstanceOf(ConfigError);
      await expect(api.headers(url)).rejects.toBeInstanceOf(ConfigError);
    }
    expect(rs.seen).toEqual([]);
    expect((await api('http://localhost:8080/me')).status).toBe(200);
  });

  it('gives headers for other HTTP clients', async () => {
    const s = await dpopClient();
    const headers = await authFetch(s.client).headers('https://api.test/x?y=1', 'delete');
    expect(headers.authorization).toBe('DPoP ' + (await s.client.getAccessToken()));
    expect(decodeJwt(headers.dpop as string)).toMatchObject({ htm: 'DELETE', htu: 'https://api.test/x' });
  });

  it('rejects without a session, and without a client', async () => {
    const s = await setup();
    await expect(authFetch(s.client, { fetch: resourceServer().fetch })('https://api.test/me')).rejects.toBeInstanceOf(LoginRequiredError);
    expect(() => authFetch({} as never)).toThrow(ConfigError);
  });
});

describe('WWW-Authenticate challenges (RFC 9110 §11.6.1)', () => {
  it('parses schemes case-insensitively, parameters quoted or not, several challenges', () => {
    expect(parseChallenges('Bearer realm="api", error="invalid_token", DPoP algs="ES256 RS256", error=use_dpop_nonce')).toEqual([
      { scheme: 'bearer', params: { realm: 'api', error: 'invalid_token' } },
      { scheme: 'dpop', params: { algs: 'ES256 RS256', error: 'use_dpop_nonce' } },
    ]);
    expect(parseChallenges('dpop error="use_dpop_nonce"')).toEqual([{ scheme: 'dpop', params: { error: 'use_dpop_nonce' } }]);
    expect(parseChallenges('Basic, Negotiate abc==, DPoP error="a\\"b"')).toEqual([
      { scheme: 'basic', params: {} },
      { scheme: 'negotiate', params: {} },
      { scheme: 'dpop', params: { error: 'a"b' } },
    ]);
  });

  it('keeps the first value of a repeated parameter and stops at garbage', () => {
    expect(parseChallenges('DPoP error="use_dpop_nonce", error="invalid_token"')).toEqual([{ scheme: 'dpop', params: { error: 'use_dpop_nonce' } }]);
    expect(parseChallenges('Bearer error="invalid_token" ; <script>')).toEqual([{ scheme: 'bearer', params: { error: 'invalid_token' } }]);
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('x'.repeat(9000))).toEqual([]);
  });
});

describe("oauth4webapi's DPoP handle", () => {
  it('still has the methods the SDK calls on it', async () => {
    const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256')) as unknown as Record<string, unknown>;
    expect(typeof handle.addProof).toBe('function');
    expect(typeof handle.cacheNonce).toBe('function');
  });
});
