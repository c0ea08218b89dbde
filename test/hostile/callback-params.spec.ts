import { URL_SECRETS, expect, expectRejectClean, login, misbehave, openApp, stateOf, test } from './fixtures.js';
import { addressBar } from '../support/page-checks.js';

// K. The callback URL by class, end to end (unit tables: test/unit/callback-params.test.ts):
// RFC 6749 §3.1 "Request and response parameters MUST NOT be included more than once"; no response
// parameter empty or over 4 KiB; and after handleCallback, on success and on every failure, none of
// the response or token-bearing parameters and no fragment in the address bar, while the app's own
// parameters stay exactly as spelled (RFC 9700 §4.2.4).

const PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'session_state'];
const APP_QUERY = 'tab=a%20b&next=%2Fx';

for (const name of PARAMS) {
  test(`CB-DUP "${name}" twice in the callback: invalid_callback, no token request, REJECT-CLEAN`, async ({ page, world }) => {
    misbehave(world.op, {
      callback: (url) => {
        const value = url.searchParams.get(name) ?? 'x';
        if (!url.searchParams.has(name)) url.searchParams.append(name, value);
        url.searchParams.append(name, value);
        return url.href;
      },
    });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'invalid_callback' });
  });

  test(`CB-SIZE "${name}" of 5000 characters: refused before any token request, REJECT-CLEAN`, async ({ page, world }) => {
    misbehave(world.op, { callback: (url) => (url.searchParams.set(name, 'A'.repeat(5000)), url.href) });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError' });
  });
}

test('CB-EMPTY "code" present but empty: refused before any token request', async ({ page, world }) => {
  misbehave(world.op, { callback: (url) => (url.searchParams.set('code', ''), url.href) });
  const result = await login(page, world);
  await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'invalid_callback' });
});

const outcomes: Array<[string, (url: URL) => void, Record<string, unknown> | undefined]> = [
  ['success', () => undefined, undefined],
  ['state mismatch', (url) => url.searchParams.set('state', 'x'.repeat(43)), { code: 'state_mismatch' }],
  ['issuer mismatch', (url) => url.searchParams.set('iss', 'https://evil.test'), { code: 'issuer_mismatch' }],
  ['an error response', (url) => (url.searchParams.delete('code'), url.searchParams.set('error', 'access_denied'), url.searchParams.set('error_uri', 'https://op.test/e')), { name: 'OAuthError' }],
  ['a duplicated code', (url) => url.searchParams.append('code', 'x'), { code: 'invalid_callback' }],
];
for (const [label, alter, failure] of outcomes) {
  test(`CB-URL ${label}: no response or token parameter and no fragment left, the app's own parameters verbatim`, async ({ page, world }) => {
    misbehave(world.op, {
      callback: (url) => {
        alter(url);
        // An id_token in the query makes it an implicit/hybrid answer, refused: planted only where the case fails anyway.
        for (const token of ['access_token', 'refresh_token', 'token_type', 'expires_in', ...(failure ? ['id_token'] : [])]) url.searchParams.append(token, `planted-${token}`);
        url.searchParams.set('session_state', 'planted-session');
        return `${url.origin}${url.pathname}?${APP_QUERY}&${url.searchParams}#access_token=planted-fragment&state=x`;
      },
    });
    const result = await login(page, world);
    if (failure) expect(result).toMatchObject({ ok: false, ...failure });
    else expect(result).toMatchObject({ ok: true, sub: 'alice' });
    const left = (await addressBar(page));
    for (const name of URL_SECRETS) expect(left.searchParams.has(name), `?${name} left`).toBe(false);
    expect(left.hash).toBe('');
    expect(left.search).toBe(`?${APP_QUERY}`);
    expect((await addressBar(page)).href).not.toContain('planted');
  });
}

// Numbers a provider sends (unit tables: test/unit/provider-numbers.test.ts).
test('NUM expires_in 1e308: accepted, the lifetime counted as a day', async ({ page, world }) => {
  misbehave(world.op, { tokenJson: (j) => ({ ...(j as object), expires_in: 1e308 }) });
  expect(await login(page, world)).toMatchObject({ ok: true });
  const state = (await stateOf(page)) as { expiresAt?: number };
  expect((state.expiresAt as number) - Date.now()).toBeLessThanOrEqual(86_400_000);
  expect((state.expiresAt as number) - Date.now()).toBeGreaterThan(86_000_000);
});

test('NUM a provider answering expires_in 0 every time: 50 calls in a row make at most one refresh', async ({ page, world }) => {
  misbehave(world.op, { tokenJson: (j) => ({ ...(j as object), expires_in: 0 }) });
  expect(await login(page, world)).toMatchObject({ ok: true });
  const started = Date.now();
  const errors = await page.evaluate(async () => {
    const out: string[] = [];
    for (let i = 0; i < 50; i++) await (window as any).client.getAccessToken().catch((e: any) => out.push(e.code));
    return out;
  });
  expect(errors).toEqual([]);
  const seconds = Math.ceil((Date.now() - started) / 1000);
  expect(world.op.count('token', 'refresh_token')).toBeLessThanOrEqual(seconds + 1);
});

// Required discovery members (unit tables: test/unit/discovery-required.test.ts).
for (const member of ['jwks_uri', 'subject_types_supported', 'id_token_signing_alg_values_supported', 'response_types_supported']) {
  test(`DS-REQ metadata without ${member}: ProtocolError before any navigation`, async ({ page, world }) => {
    misbehave(world.op, { metadata: (m) => ({ ...m, [member]: undefined }) });
    await openApp(page, world);
    const error = await page.evaluate(() => (window as any).client.login().then(() => null, (window as any).describe));
    expect(error).toMatchObject({ name: 'ProtocolError', isAuthError: true });
    expect(world.op.count('authorize')).toBe(0);
  });
}
