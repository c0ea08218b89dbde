import type { Page } from '@playwright/test';
import { expect, login, misbehave, openApp, setAppOptions, stateOf, storedText, test } from './fixtures.js';
import type { RawResponse, Scenario } from './provider.js';
import type { HostileWorld } from './server.js';

// E. UserInfo (OIDC Core 1.0 §5.3) through oidc-session/userinfo in the browser: UserInfo adds claims
// to a user we already know; it never changes who that user is, and nothing it says is stored.

type Result = { ok: boolean; user?: Record<string, unknown>; name?: string; code?: string; error?: string };
type UserInfoAnswer = NonNullable<Scenario['userinfo']>;

const userInfo = (page: Page): Promise<Result> => page.evaluate(() => (window as any).userInfo());
const getUser = (page: Page): Promise<Record<string, unknown>> => page.evaluate(() => (window as any).client.getUser());
const json = (value: unknown, headers: Record<string, string> = {}): RawResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof value === 'string' ? value : JSON.stringify(value),
});
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Signs in, sets the UserInfo misbehaviour, calls fetchUserInfo() and checks what must hold whatever
 * the answer: getUser() and state.user as they were, and storage too unless the call refreshed the
 * tokens (`refreshes`). Returns the result.
 */
async function callWith(page: Page, world: HostileWorld, answer: UserInfoAnswer, refreshes = false): Promise<Result> {
  expect(await login(page, world)).toMatchObject({ ok: true, sub: 'alice' });
  const before = { user: await getUser(page), state: await stateOf(page), stored: await storedText(page) };
  misbehave(world.op, { userinfo: answer });
  await page.evaluate(() => void ((window as any).maxGap = 0));
  const result = await userInfo(page);
  expect(await getUser(page)).toEqual(before.user);
  expect((await stateOf(page)).user).toEqual(before.state.user);
  if (!refreshes) expect(await storedText(page)).toBe(before.stored);
  return result;
}

test('UI-01 baseline: the UserInfo claims of the same sub are added to the ID token claims, nothing stored', async ({ page, world }) => {
  const result = await callWith(page, world, () => undefined);
  const idClaims = await getUser(page);
  expect(result).toMatchObject({ ok: true });
  expect(result.user).toEqual({ ...idClaims, email: 'alice@example.test', email_verified: true });
  expect(idClaims.email).toBeUndefined();
  expect(world.op.count('userinfo')).toBe(1);
});

test('UI-01 UserInfo never replaces iss, aud, sub, exp, iat, nonce or auth_time', async ({ page, world }) => {
  const result = await callWith(page, world, ({ normal }) => json({ ...normal, iss: 'https://evil.test', aud: 'other', exp: 1, iat: 1, nonce: 'n', auth_time: 1, azp: 'x', sid: 's', name: 'Newer' }));
  const idClaims = await getUser(page);
  expect(result.ok).toBe(true);
  for (const claim of ['iss', 'aud', 'sub', 'exp', 'iat', 'nonce', 'auth_time']) expect(result.user?.[claim], claim).toEqual(idClaims[claim]);
  expect(result.user).not.toHaveProperty('azp');
  expect(result.user).not.toHaveProperty('sid');
  expect(result.user?.name).toBe('Newer');
});

const mismatches: Array<[string, (normal: Record<string, unknown>) => Record<string, unknown>]> = [
  ['sub of another user', (n) => ({ ...n, sub: 'mallory', name: 'Mallory', email: 'mallory@evil.test' })],
  ['sub missing', ({ sub: _s, ...n }) => ({ ...n, email: 'nobody@evil.test' })],
  ['sub 123', (n) => ({ ...n, sub: 123, email: 'number@evil.test' })],
];
for (const [label, tamper] of mismatches) {
  test(`UI-01 ${label}: ProtocolError, nothing merged, getUser() unchanged`, async ({ page, world }) => {
    const result = await callWith(page, world, ({ normal }) => json(tamper(normal ?? {})));
    expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'invalid_token_response' });
    expect(result.user).toBeUndefined();
    expect(world.op.count('userinfo')).toBe(1);
  });
}

test('UI-02 200 HTML: ProtocolError', async ({ page, world }) => {
  const result = await callWith(page, world, () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><h1>Welcome</h1>' }));
  expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'unexpected_response' });
});

test('UI-02 200 text/html whose body is the right JSON: ProtocolError, the content type decides', async ({ page, world }) => {
  const result = await callWith(page, world, ({ normal }) => ({ status: 200, headers: { 'content-type': 'text/html' }, body: JSON.stringify(normal) }));
  expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'unexpected_response' });
});

test('UI-02 application/jwt with alg none: ProtocolError, nothing merged (signed answers are not accepted unverified)', async ({ page, world }) => {
  const result = await callWith(page, world, ({ normal }) => ({
    status: 200,
    headers: { 'content-type': 'application/jwt' },
    body: `${b64({ alg: 'none' })}.${b64({ ...normal, email: 'unsigned@evil.test' })}.`,
  }));
  expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'unexpected_response' });
});

test('UI-02 401 Bearer error="invalid_token" every time: OAuthError after one refresh, two UserInfo hits', async ({ page, world }) => {
  const result = await callWith(page, world, () => ({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }), true);
  expect(result).toMatchObject({ ok: false, name: 'OAuthError', error: 'invalid_token' });
  expect(world.op.count('userinfo')).toBe(2);
  expect(world.op.count('token', 'refresh_token')).toBe(1);
  expect((await stateOf(page)).status).toBe('authenticated');
});

test('UI-02 401 invalid_token once: one refresh, the retry with the new token answered', async ({ page, world }) => {
  const tokens: Array<string | undefined> = [];
  expect(await login(page, world)).toMatchObject({ ok: true });
  misbehave(world.op, {
    userinfo: ({ token, hit }) => {
      tokens.push(token);
      return hit === 1 ? { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } } : undefined;
    },
  });
  const result = await userInfo(page);
  expect(result).toMatchObject({ ok: true, user: { sub: 'alice', email: 'alice@example.test' } });
  expect(world.op.count('userinfo')).toBe(2);
  expect(world.op.count('token', 'refresh_token')).toBe(1);
  expect(tokens[0]).not.toBe(tokens[1]);
  expect(tokens[1]).toBe(await page.evaluate(() => (window as any).client.getAccessToken()));
});

test('UI-02 401 whose WWW-Authenticate CORS does not expose: ProtocolError, no refresh, one hit', async ({ page, world }) => {
  const result = await callWith(page, world, () => ({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"', 'access-control-expose-headers': 'DPoP-Nonce' } }));
  expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'unexpected_response' });
  expect(world.op.count('userinfo')).toBe(1);
  expect(world.op.count('token', 'refresh_token')).toBe(0);
});

test('UI-02 500: NetworkError, the session kept', async ({ page, world }) => {
  const result = await callWith(page, world, () => ({ status: 500, headers: { 'content-type': 'text/html' }, body: '<h1>Internal Server Error</h1>' }));
  expect(result).toMatchObject({ ok: false, name: 'NetworkError', code: 'network_error' });
  expect(world.op.count('userinfo')).toBe(1);
  expect((await stateOf(page)).status).toBe('authenticated');
});

const TEN_MB = 10 * 1024 * 1024;
test('UI-02 a 10 MB body with its Content-Length: refused unread (ProtocolError), the page responsive', async ({ page, world }) => {
  const body = JSON.stringify({ sub: 'alice', pad: 'a'.repeat(TEN_MB) });
  const result = await callWith(page, world, () => json(body, { 'content-length': String(Buffer.byteLength(body)) }));
  expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'unexpected_response' });
  expect(await page.evaluate(() => (window as any).maxGap)).toBeLessThan(500);
});

test('UI-02 a 10 MB body sent chunked: refused once past 1 MiB (ProtocolError), the page responsive', async ({ page, world }) => {
  const result = await callWith(page, world, () => json(JSON.stringify({ sub: 'alice', pad: 'a'.repeat(TEN_MB) })));
  expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'unexpected_response' });
  expect(await page.evaluate(() => (window as any).maxGap)).toBeLessThan(500);
});

test('UI-02 a body that trickles forever: NetworkError timeout within the deadline, the page responsive', async ({ page, world }) => {
  const started = Date.now();
  const result = await callWith(page, world, () => ({ trickle: true }));
  expect(result).toMatchObject({ ok: false, name: 'NetworkError', code: 'timeout' });
  // The app's requestTimeoutSeconds is 3; the login before it took part of this.
  expect(Date.now() - started).toBeLessThan(3000 + 5000);
  expect(await page.evaluate(() => (window as any).maxGap)).toBeLessThan(500);
});

test('UserInfo with a DPoP-bound session: Authorization DPoP with a proof the provider verifies', async ({ page, world }) => {
  await setAppOptions(page, world, { dpop: {} });
  await openApp(page, world);
  expect(await login(page, world)).toMatchObject({ ok: true, sub: 'alice' });
  const result = await userInfo(page);
  expect(result).toMatchObject({ ok: true, user: { sub: 'alice', email: 'alice@example.test' } });
  const hit = world.op.hits.find((h) => h.endpoint === 'userinfo');
  expect(hit?.dpop).toBeDefined();
  expect(hit?.dpopJkt).toBe(world.op.hits.find((h) => h.endpoint === 'token')?.dpopJkt);
});
