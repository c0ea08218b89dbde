import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/index.js';
import { setup } from './harness.js';

// One back-off for every transient refresh failure (issue 12 §1 "Refresh storms"; src/protocol/retry-policy.ts):
// 429 and every 5xx (RFC 9110 §15.5.30 / §15.6: "try again later"), network errors and timeouts. The
// session is kept; the next attempts wait 4, 8, 16, 32, then 60 s, or longer when Retry-After
// (RFC 9110 §10.2.3) asks, capped at an hour; a call during the wait fails fast with a NetworkError whose
// `retryAt` says when the next attempt is allowed, and sends nothing.

const SESSION = 'oidc-session:v1:spa:session';
type Failure = [label: string, answer: () => Promise<Response> | Response, retryAfterMs?: number];

const status = (code: number, headers: Record<string, string> = {}) => () => new Response('{"error":"server_error"}', { status: code, headers: { 'content-type': 'application/json', ...headers } });
const failures: Failure[] = [
  ['429', status(429)],
  ['500', status(500)],
  ['501', status(501)],
  ['502', status(502)],
  ['503', status(503)],
  ['504', status(504)],
  ['599', status(599)],
  ['a network error', () => Promise.reject(new TypeError('Failed to fetch'))],
  ['429 with Retry-After: 30', status(429, { 'retry-after': '30' }), 30_000],
  ['503 with Retry-After as an HTTP date 2 minutes ahead', () => status(503, { 'retry-after': new Date(Date.UTC(2026, 10, 27, 13, 2)).toUTCString() })(), 120_000],
  ['503 with Retry-After: 86400 (capped at an hour)', status(503, { 'retry-after': '86400' }), 3_600_000],
  ['500 with an unreadable Retry-After', status(500, { 'retry-after': 'soon' })],
];

async function expiredSession() {
  const s = await setup({}, { requestTimeoutSeconds: 0.2 });
  await s.signIn();
  s.clock.advance(3_600_000);
  return s;
}

describe('refresh back-off', () => {
  it.each(failures)('RB %s: NetworkError with retryAt, no request until then, the session kept, then recovery', async (_, answer, retryAfterMs) => {
    const { client, provider, clock, storage } = await expiredSession();
    const before = storage.map.get(SESSION);
    provider.hooks.token = (body, normal) => (body.get('grant_type') === 'refresh_token' ? answer() : normal());
    const start = clock.now();
    const wait = retryAfterMs ?? 4_000;
    const first = await client.getAccessToken().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(NetworkError);
    expect(first).toMatchObject({ retryAt: start + wait });
    for (let i = 0; i < 10; i++) {
      const during = await client.getAccessToken().catch((e: unknown) => e);
      expect(during).toBeInstanceOf(NetworkError);
      expect(during).toMatchObject({ retryAt: start + wait });
    }
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    expect(storage.map.get(SESSION)).toBe(before);
    expect(client.state.status).toBe('authenticated');
    delete provider.hooks.token;
    clock.advance(wait - 1);
    await expect(client.getAccessToken()).rejects.toBeInstanceOf(NetworkError);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    clock.advance(1);
    await expect(client.getAccessToken()).resolves.toMatch(/^at-/);
  });

  it('RB a timeout backs off too', async () => {
    const { client, provider, clock } = await expiredSession();
    provider.hooks.token = () => new Promise<Response>(() => undefined);
    const start = clock.now();
    await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'NetworkError', code: 'timeout', retryAt: start + 4_000 });
    await expect(client.getAccessToken()).rejects.toMatchObject({ retryAt: start + 4_000 });
    expect(provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('RB consecutive failures wait 4, 8, 16, 32, then 60 s: at most four tries a minute', async () => {
    const { client, provider, clock } = await expiredSession();
    provider.hooks.token = status(500);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const error = (await client.getAccessToken().catch((e: unknown) => e)) as NetworkError;
      waits.push((error.retryAt as number) - clock.now());
      clock.advance((error.retryAt as number) - clock.now());
    }
    expect(waits).toEqual([4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(provider.count('/token', 'refresh_token')).toBe(7);
  });

  // Not only transient statuses: a provider that keeps answering something we refuse (a malformed 200,
  // an OAuth error other than invalid_grant, a refreshed ID token for another user) must not be asked
  // again on every call either. The first caller gets the real error; callers during the wait get the
  // back-off NetworkError with retryAt; invalid_grant still ends the session at once.
  it.each([
    ['a 200 without access_token (ProtocolError)', () => Response.json({ token_type: 'Bearer', expires_in: 60 }), 'ProtocolError'],
    ['400 invalid_client (OAuthError)', () => Response.json({ error: 'invalid_client' }, { status: 400 }), 'OAuthError'],
  ] as const)('RB %s backs off too: one request during the wait, the session kept', async (_, answer, name) => {
    const { client, provider, clock } = await expiredSession();
    provider.hooks.token = (body, normal) => (body.get('grant_type') === 'refresh_token' ? answer() : normal());
    const start = clock.now();
    await expect(client.getAccessToken()).rejects.toMatchObject({ name });
    for (let i = 0; i < 5; i++) await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'NetworkError', retryAt: start + 4_000 });
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    expect(client.state.status).toBe('authenticated');
    delete provider.hooks.token;
    clock.advance(4_000);
    await expect(client.getAccessToken()).resolves.toMatch(/^at-/);
  });

  it('RB a success resets the back-off', async () => {
    const { client, provider, clock } = await expiredSession();
    provider.hooks.token = status(503);
    await expect(client.getAccessToken()).rejects.toBeInstanceOf(NetworkError);
    clock.advance(4_000);
    delete provider.hooks.token;
    await client.getAccessToken();
    clock.advance(3_600_000);
    provider.hooks.token = status(503);
    await expect(client.getAccessToken()).rejects.toMatchObject({ retryAt: clock.now() + 4_000 });
  });

  it('RB a 500 at the code exchange is a NetworkError too, and the code is not resent', async () => {
    const { client, provider, navigations, storedTokens } = await setup();
    provider.hooks.token = status(500);
    await client.login();
    await expect(client.handleCallback(provider.authorize(navigations[0] as string))).rejects.toBeInstanceOf(NetworkError);
    expect(provider.count('/token')).toBe(1);
    expect(storedTokens()).toEqual([]);
  });
});
