import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSessionRecord } from '../../src/session/token-set.js';
import { setup } from './harness.js';

// Every number and size a provider sends is bounded (issue 12 §2). The bounds:
// - expires_in (RFC 6749 §5.1, "lifetime in seconds"): a finite number ≥ 0 (numeric strings are read
//   as numbers, as oauth4webapi does); negative, NaN, non-numeric and infinite refused; above a day
//   counted as a day (BCP for browser-based apps: short-lived access tokens; a bigger lifetime is never
//   trusted locally for longer).
// - refresh frequency: at most one refresh per second per session, whatever expires_in says (0 or 1
//   every time must not become a refresh storm), and at most once per half lifetime otherwise.
// - tokens: access, refresh and ID token each at most 64 KiB.
// - ID token times (OIDC Core §2, §3.1.3.7): iat not in the future and, at login, at most an hour old;
//   auth_time not after iat; exp within a year of iat (all with the clock tolerance).
// - Retry-After: honoured up to an hour (test/unit/refresh-backoff.test.ts).

const SESSION = 'oidc-session:v1:spa:session';
const DAY_MS = 86_400_000;
type Json = Record<string, unknown>;

async function loginAnswering(alter: (json: Json) => Json | string) {
  const s = await setup();
  s.provider.hooks.token = async (_, normal) => {
    const altered = alter((await (await normal()).json()) as Json);
    return new Response(typeof altered === 'string' ? altered : JSON.stringify(altered), { headers: { 'content-type': 'application/json' } });
  };
  const outcome = await s.signIn().then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { ...s, outcome, record: s.storage.map.get(SESSION) };
}

describe('expires_in', () => {
  it.each([
    ['-1', -1],
    ['NaN as a string', 'NaN'],
    ['a word', 'soon'],
    ['null', null],
    ['true', true],
    ['an object', {}],
  ])('NUM expires_in %s: ProtocolError, nothing stored', async (_, value) => {
    const { outcome, storedTokens } = await loginAnswering((j) => ({ ...j, expires_in: value }));
    expect(outcome).toMatchObject({ ok: false, error: { name: 'ProtocolError' } });
    expect(storedTokens()).toEqual([]);
  });

  it('NUM expires_in 1e400 (Infinity once parsed): ProtocolError, nothing stored', async () => {
    const { outcome, storedTokens } = await loginAnswering((j) => JSON.stringify(j).replace(/"expires_in":\d+/, '"expires_in":1e400'));
    expect(outcome).toMatchObject({ ok: false, error: { name: 'ProtocolError' } });
    expect(storedTokens()).toEqual([]);
  });

  it.each([
    ['0', 0, 0],
    ['0.5 (fractional)', 0.5, 500],
    ['"600" (a numeric string)', '600', 600_000],
    ['exactly a day', 86_400, DAY_MS],
    ['400 days, counted as a day', 400 * 86_400, DAY_MS],
    ['1e308, counted as a day', 1e308, DAY_MS],
  ])('NUM expires_in %s: accepted, the lifetime bounded, the record readable again', async (_, value, lifetime) => {
    const { outcome, record, provider } = await loginAnswering((j) => ({ ...j, expires_in: value }));
    expect(outcome).toEqual({ ok: true });
    const parsed = parseSessionRecord(record, { issuer: `${provider.issuer}/`, clientId: 'spa' });
    expect(parsed).toBeDefined();
    expect((parsed?.expiresAt as number) - (parsed?.receivedAt as number)).toBe(lifetime);
  });
});

describe('refresh frequency', () => {
  afterEach(() => void vi.useRealTimers());

  it.each([0, 1])('NUM a provider answering expires_in %s every time: at most one refresh a second, on demand', async (ttl) => {
    const { client, signIn, provider, clock } = await setup({ accessTokenTtl: ttl });
    await signIn();
    // An app asking for a token every 50 ms for a minute.
    for (let i = 0; i < 1200; i++) {
      await client.getAccessToken();
      clock.advance(50);
    }
    expect(provider.count('/token', 'refresh_token')).toBeLessThanOrEqual(60);
    expect(provider.count('/token', 'refresh_token')).toBeGreaterThanOrEqual(55);
  });

  it('NUM with autoRefresh, expires_in 0 every time: at most one refresh a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { signIn, provider, clock } = await setup({ accessTokenTtl: 0 }, { autoRefresh: true });
    await signIn();
    for (let i = 0; i < 600; i++) {
      clock.advance(100);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(provider.count('/token', 'refresh_token')).toBeLessThanOrEqual(60);
  });
});

describe('token sizes', () => {
  const big = 'a'.repeat(64 * 1024 + 1);
  it.each(['access_token', 'refresh_token', 'id_token'])('NUM a %s over 64 KiB: ProtocolError, nothing stored', async (name) => {
    const { outcome, storedTokens } = await loginAnswering((j) => ({ ...j, [name]: name === 'id_token' ? `${j.id_token as string}${big}` : big }));
    expect(outcome).toMatchObject({ ok: false, error: { name: 'ProtocolError' } });
    expect(storedTokens()).toEqual([]);
  });

  it('NUM an access token of exactly 64 KiB is accepted and survives a reload', async () => {
    const { outcome, record, provider } = await loginAnswering((j) => ({ ...j, access_token: 'a'.repeat(64 * 1024) }));
    expect(outcome).toEqual({ ok: true });
    expect(parseSessionRecord(record, { issuer: `${provider.issuer}/`, clientId: 'spa' })).toBeDefined();
  });
});

describe('response sizes', () => {
  // A body the provider declares over 1 MiB is refused before it is read or parsed (the deadline bounds
  // one that does not declare its length: requestTimeoutSeconds).
  it('NUM a token response declaring over 1 MiB: ProtocolError before the body is read, nothing stored', async () => {
    const s = await setup();
    let pulled = 0;
    s.provider.hooks.token = () =>
      new Response(new ReadableStream({ pull: (c) => void (pulled++ < 100 ? c.enqueue(new Uint8Array(65_536)) : c.close()) }), {
        headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) },
      });
    await expect(s.signIn()).rejects.toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
    expect(pulled).toBeLessThan(5);
    expect(s.storedTokens()).toEqual([]);
  });

  it('NUM a discovery document declaring over 1 MiB: ProtocolError', async () => {
    const s = await setup();
    s.provider.hooks.discovery = async (normal) => {
      const text = await normal().text();
      return new Response(text, { headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) } });
    };
    await expect(s.client.login()).rejects.toMatchObject({ name: 'ProtocolError' });
  });
});

describe('ID token times at login', () => {
  const YEAR = 31_536_000;
  it.each([
    ['auth_time a day in the future', (c: Json) => ({ ...c, auth_time: (c.iat as number) + 86_400 })],
    ['auth_time a minute after iat', (c: Json) => ({ ...c, auth_time: (c.iat as number) + 60 })],
    ['auth_time negative', (c: Json) => ({ ...c, auth_time: -1 })],
    ['exp more than a year after iat', (c: Json) => ({ ...c, exp: (c.iat as number) + YEAR + 1 })],
    ['exp 1e308', (c: Json) => ({ ...c, exp: 1e308 })],
    ['iat 1e308', (c: Json) => ({ ...c, iat: 1e308 })],
    ['iat negative', (c: Json) => ({ ...c, iat: -1 })],
    ['nbf 1e308', (c: Json) => ({ ...c, nbf: 1e308 })],
  ])('NUM %s: ProtocolError invalid_id_token, nothing stored', async (_, tamper) => {
    const { signIn, provider, storedTokens } = await setup();
    provider.hooks.idTokenClaims = tamper;
    await expect(signIn()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_id_token' });
    expect(storedTokens()).toEqual([]);
  });

  it.each([
    ['auth_time an hour before iat', (c: Json) => ({ ...c, auth_time: (c.iat as number) - 3600 })],
    ['auth_time equal to iat', (c: Json) => ({ ...c, auth_time: c.iat })],
    ['exp exactly a year after iat', (c: Json) => ({ ...c, exp: (c.iat as number) + YEAR })],
  ])('NUM %s: accepted', async (_, tamper) => {
    const { signIn, provider } = await setup();
    provider.hooks.idTokenClaims = tamper;
    await expect(signIn()).resolves.toBeDefined();
  });
});
