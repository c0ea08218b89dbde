import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { dpop } from '../../src/dpop/index.js';
import { ConfigError, LoginRequiredError, OAuthError, ProtocolError } from '../../src/index.js';
import { setup } from './harness.js';
import { hashOf, withDPoP } from './dpop-fake.js';

/** A client with DPoP (keys in memory: Node has no IndexedDB) against the DPoP fake provider. */
async function dpopSetup(fakeOptions: Parameters<typeof withDPoP>[1] = {}, dpopOptions: Parameters<typeof dpop>[0] = {}) {
  const base = await setup({ accessTokenTtl: 600 });
  const fake = withDPoP(base.provider, fakeOptions);
  const binding = dpop({ keyStorage: 'memory', ...dpopOptions });
  const client = base.makeClient({ fetch: fake.fetch, dpop: binding });
  const signIn = async () => {
    await client.login();
    return client.handleCallback(fake.authorize(base.navigations.at(-1) as string));
  };
  return { ...base, fake, binding, client, signIn };
}

describe('DPoP token requests (RFC 9449)', () => {
  it('binds the code to the key (dpop_jkt) and proves it at the code exchange', async () => {
    const s = await dpopSetup();
    await s.signIn();
    const jkt = new URL(s.navigations[0] as string).searchParams.get('dpop_jkt');
    expect(jkt).toMatch(/^[\w-]{43}$/);
    expect(s.fake.proofs).toHaveLength(1);
    const [exchange] = s.fake.proofs;
    expect(exchange?.jkt).toBe(jkt);
    expect(exchange?.payload).toMatchObject({ htm: 'POST', htu: `${s.provider.issuer}/token` });
    expect(exchange?.payload.ath).toBeUndefined();
    expect(s.client.state.status).toBe('authenticated');
    // The stored session says DPoP: auth.fetch uses the DPoP scheme for it.
    expect([...s.storage.map.values()].find((v) => v.includes('"accessToken"'))).toContain('"tokenType":"dpop"');
  });

  it('proves every refresh with the same key and a new jti, and leaves discovery without a proof', async () => {
    const s = await dpopSetup();
    await s.signIn();
    await s.client.getAccessToken({ forceRefresh: true });
    await s.client.getAccessToken({ forceRefresh: true });
    const jkts = new Set(s.fake.proofs.map((p) => p.jkt));
    const jtis = new Set(s.fake.proofs.map((p) => p.payload.jti));
    expect(s.fake.proofs).toHaveLength(3);
    expect(jkts.size).toBe(1);
    expect(jtis.size).toBe(3);
    expect(s.provider.count('/token', 'refresh_token')).toBe(2);
  });

  it('makes one key per login: a second login is bound to a new key', async () => {
    const s = await dpopSetup();
    await s.signIn();
    await s.signIn();
    const [first, second] = s.navigations.map((n) => new URL(n).searchParams.get('dpop_jkt'));
    expect(first).not.toBe(second);
    await s.client.getAccessToken({ forceRefresh: true });
    expect(s.fake.proofs.at(-1)?.jkt).toBe(second);
  });

  it('DP-01: answers a use_dpop_nonce challenge at the token endpoint exactly once, with the nonce', async () => {
    const s = await dpopSetup({ nonce: 'n1' });
    await s.signIn();
    // The fake answered the challenge itself: one exchange reached the provider.
    expect(s.provider.count('/token')).toBe(1);
    expect(s.fake.proofs.map((p) => p.payload.nonce)).toEqual([undefined, 'n1']);
    // The nonce is kept for the origin: the refresh needs no second round trip.
    await s.client.getAccessToken({ forceRefresh: true });
    expect(s.fake.proofs.map((p) => p.payload.nonce)).toEqual([undefined, 'n1', 'n1']);
  });

  it('DP-01 (loop): a server that demands a new nonce every time gets two requests, then a typed error', async () => {
    const s = await dpopSetup({ nonce: 'n1' });
    s.fake.state.nonce = 'n1';
    const original = s.fake.fetch;
    let count = 0;
    const looping = s.makeClient({
      fetch: async (input, init) => {
        if (String(input).endsWith('/token')) s.fake.state.nonce = 'n' + ++count;
        return original(input, init);
      },
      dpop: dpop({ keyStorage: 'memory' }),
    });
    await looping.login();
    const error = await looping.handleCallback(s.fake.authorize(s.navigations.at(-1) as string)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('use_dpop_nonce');
    expect(s.fake.proofs).toHaveLength(2);
    expect(looping.state.status).toBe('anonymous');
  });

  it.each(['two words', 'quo"te', 'back\\slash', 'x'.repeat(1025)])('DP-01: a DPoP-Nonce that is not a nonce (RFC 9449 §8.1 NQCHAR, at most 1 KiB) is not sent back: %j', async (nonce) => {
    const s = await dpopSetup({ nonce });
    const error = await s.signIn().catch((e: unknown) => e);
    expect((error as OAuthError).error).toBe('use_dpop_nonce');
    expect(s.fake.proofs.map((p) => p.payload.nonce)).toEqual([undefined]);
  });

  it('DP-05: refuses a Bearer answer to a DPoP code exchange and stores nothing', async () => {
    const s = await dpopSetup({ tokenType: 'Bearer' });
    const error = await s.signIn().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('invalid_token_response');
    expect(s.storedTokens()).toEqual([]);
    expect(s.client.state.status).toBe('anonymous');
  });

  it('DP-05: refuses a Bearer answer to a DPoP refresh, keeping the session as it was', async () => {
    const s = await dpopSetup();
    await s.signIn();
    const before = await s.client.getAccessToken();
    s.fake.state.tokenType = 'bearer';
    const error = await s.client.getAccessToken({ forceRefresh: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(await s.client.getAccessToken()).toBe(before);
    expect(s.storedTokens().some((v) => v.includes('"tokenType":"bearer"'))).toBe(false);
  });

  it('DP-05: with allowBearer the downgrade is recorded and the session uses Bearer', async () => {
    const s = await dpopSetup({ tokenType: 'Bearer' }, { allowBearer: true });
    await s.signIn();
    const token = await s.client.getAccessToken();
    expect(await s.binding.proof_(token, 'GET', new URL('https://api.test/x'))).toBeUndefined();
    expect([...s.storage.map.values()].find((v) => v.includes('"accessToken"'))).toContain('"tokenType":"bearer"');
  });

  it('fails login before navigating when the provider offers no DPoP with ES256', async () => {
    const s = await setup();
    const client = s.makeClient({ dpop: dpop({ keyStorage: 'memory' }) });
    const error = await client.login().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe('dpop');
    expect(s.navigations).toEqual([]);
    expect([...s.storage.map.keys()].filter((k) => k.includes('txn:'))).toEqual([]);
  });

  it('DP-06: a session whose key is gone ends at its refresh without sending the refresh token', async () => {
    const s = await dpopSetup();
    await s.signIn();
    // Another page of the same app, with its own (empty) key store: the key never reached it.
    const keyless = s.makeClient({ fetch: s.fake.fetch, dpop: dpop({ keyStorage: 'memory' }) });
    const ended: unknown[] = [];
    keyless.on('logout', (event) => void ended.push(event));
    const refreshesBefore = s.provider.count('/token', 'refresh_token');
    const error = await keyless.getAccessToken({ forceRefresh: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect(s.provider.count('/token', 'refresh_token')).toBe(refreshesBefore);
    expect(ended).toEqual([{ reason: 'expired', remote: false }]);
    expect(keyless.state.status).toBe('anonymous');
  });

  it('DP-06: a refresh answered invalid_dpop_proof ends the session', async () => {
    const s = await dpopSetup();
    await s.signIn();
    s.provider.hooks.token = () => s.provider.json({ error: 'invalid_dpop_proof' }, 400);
    const error = await s.client.getAccessToken({ forceRefresh: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect(s.client.state.status).toBe('anonymous');
  });

  it('logout forgets the key bound to the session', async () => {
    const s = await dpopSetup();
    await s.signIn();
    const token = await s.client.getAccessToken();
    expect(await s.binding.proof_(token, 'GET', new URL('https://api.test/x'))).toEqual(expect.any(String));
    await s.client.logout({ navigate: () => undefined });
    expect(await s.binding.proof_(token, 'GET', new URL('https://api.test/x'))).toBeUndefined();
  });

  it('signs the revocation logout sends after clearing with the session key, and nothing else with it', async () => {
    const base = await setup({ accessTokenTtl: 600 });
    const fake = withDPoP(base.provider);
    const revocations: (string | null)[] = [];
    const binding = dpop({ keyStorage: 'memory' });
    const client = base.makeClient({
      fetch: (input, init) => {
        if (String(input).endsWith('/token/revocation')) revocations.push(new Headers(init?.headers).get('dpop'));
        return fake.fetch(input, init);
      },
      dpop: binding,
    });
    await client.login();
    await client.handleCallback(fake.authorize(base.navigations.at(-1) as string));
    const token = await client.getAccessToken();
    await client.logout({ navigate: () => undefined });
    await expect.poll(() => revocations.length).toBe(1);
    const { calculateJwkThumbprint, decodeProtectedHeader } = await import('jose');
    expect(await calculateJwkThumbprint(decodeProtectedHeader(revocations[0] as string).jwk as never)).toBe(fake.proofs[0]?.jkt);
    // The key is gone for everything else: no proof for the ended session's access token.
    expect(await binding.proof_(token, 'GET', new URL('https://api.test/x'))).toBeUndefined();
  });

  it('forgets the spent tokens at a refresh and binds the new ones', async () => {
    const s = await dpopSetup();
    await s.signIn();
    const old = await s.client.getAccessToken();
    const renewed = await s.client.getAccessToken({ forceRefresh: true });
    const url = new URL('https://api.test/items?page=2#top');
    expect(await s.binding.proof_(old, 'GET', url)).toBeUndefined();
    const proof = (await s.binding.proof_(renewed, 'get', url)) as string;
    const payload = JSON.parse(Buffer.from(proof.split('.')[1] as string, 'base64url').toString());
    expect(payload).toMatchObject({ htm: 'GET', htu: 'https://api.test/items', ath: hashOf(renewed) });
    expect(decodeProtectedHeader(proof).jwk).not.toHaveProperty('d');
  });

  it('refuses unknown and invalid options', () => {
    expect(() => dpop({ keyStorage: 'disk' } as never)).toThrow(ConfigError);
    expect(() => dpop({ allowBearer: 'yes' } as never)).toThrow(ConfigError);
    expect(() => dpop({ extractable: true } as never)).toThrow(/unknown option "extractable"/);
  });
});
