import { expect, expectRejectClean, login, misbehave, openApp, stateOf, storedText, test } from './fixtures.js';
import { goBack } from '../support/history.js';
import { addressBar } from '../support/page-checks.js';

// A. Authorization response (callback) and K. callback URL parsing.

test('baseline: a correct provider signs the user in (the suite can tell good from bad)', async ({ page, world }) => {
  const result = await login(page, world);
  expect(result).toMatchObject({ ok: true, sub: 'alice' });
  expect(world.op.count('token', 'authorization_code')).toBe(1);
  expect((await stateOf(page)).status).toBe('authenticated');
  expect((await addressBar(page)).search).toBe('');
});

test('AR-01 state mismatch: refused before any token request, the pending login untouched', async ({ page, world }) => {
  misbehave(world.op, { callback: (url) => (url.searchParams.set('state', 'another-random-value-0123456789abcdef012345'), url.href) });
  const result = await login(page, world);
  await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'state_mismatch' });
  // The genuine transaction is still there, unused, for the real callback.
  const pending = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes(':txn:')).length);
  expect(pending).toBe(1);
});

test('AR-02 missing state: refused as state_missing', async ({ page, world }) => {
  misbehave(world.op, { callback: (url) => (url.searchParams.delete('state'), url.href) });
  const result = await login(page, world);
  await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'state_missing' });
});

test.describe('AR-03 unsolicited callback (login CSRF)', () => {
  const forged = (world: { app: string; op: { issuer: string } }) =>
    `${world.app}/cb?code=attacker-code&state=attacker-state-000000000000000000000000000&iss=${encodeURIComponent(world.op.issuer)}`;

  test('AR-03 with no pending login: transaction_not_found, no token request', async ({ page, world }) => {
    await openApp(page, world);
    await page.goto(`${world.evil.origin}/?to=${encodeURIComponent(forged(world))}`);
    await page.waitForURL((url) => url.pathname === '/cb');
    await page.waitForFunction(() => (window as any).ready === true);
    const result = await page.evaluate(() => (window as any).callbackResult);
    world.evil.hits.length = 0; // the attacker's page itself was the lure
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'transaction_not_found' });
  });

  test('AR-03 with another login pending: refused, the pending login untouched', async ({ page, world }) => {
    misbehave(world.op, { authorize: () => ({ status: 200, body: 'held' }) });
    await openApp(page, world);
    await page.evaluate(() => void (window as any).client.login());
    await page.waitForURL((url) => url.pathname === '/authorize');
    await page.goto(forged(world));
    await page.waitForFunction(() => (window as any).ready === true);
    const result = await page.evaluate(() => (window as any).callbackResult);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'state_mismatch' });
  });

  test('AR-03 with the user signed in: refused, same user afterwards', async ({ page, world }) => {
    await login(page, world);
    const tokenRequests = world.op.count('token');
    await page.goto(forged(world));
    await page.waitForFunction(() => (window as any).ready === true);
    const result = await page.evaluate(() => (window as any).callbackResult);
    expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'transaction_not_found' });
    expect(world.op.count('token')).toBe(tokenRequests);
    expect((await stateOf(page)).user?.sub).toBe('alice');
  });
});

test('AR-04 callback replay: refused locally, the session kept, the code redeemed once, no verifier left', async ({ page, world }) => {
  let callback = '';
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.url().includes('/cb?')) callback = request.url();
  });
  await page.addInitScript(() => addEventListener('pageshow', (event) => ((window as any).restoredFromCache = event.persisted)));
  await login(page, world);
  const first = await page.evaluate(() => (window as any).callbackResult);
  const session = await page.evaluate(() => sessionStorage.getItem('oidc-session:v1:spa:session'));
  // A replay of the full URL, then Back (to the callback entry, already cleaned of its parameters).
  for (const [replay, code] of [[() => page.goto(callback), 'transaction_not_found'], [() => goBack(page, 'ready'), 'state_missing']] as const) {
    await replay();
    await page.waitForFunction(() => (window as any).ready === true);
    // Firefox brings the first callback page back from the back-forward cache: no script runs again,
    // so it still shows its first outcome. Chromium here (cache off) loads it anew: state_missing.
    const restored = await page.evaluate(() => (window as any).restoredFromCache === true);
    const expected = restored ? first : { ok: false, name: 'ProtocolError', code };
    expect(await page.evaluate(() => (window as any).callbackResult)).toMatchObject(expected);
    expect(world.op.count('token', 'authorization_code')).toBe(1);
    expect(await page.evaluate(() => sessionStorage.getItem('oidc-session:v1:spa:session'))).toBe(session);
    expect((await addressBar(page)).search).toBe('');
  }
  expect(await page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)))).not.toContain('codeVerifier');
});

test('AR-05 transaction binding: two logins in flight complete each with its own verifier and nonce', async ({ page, world }) => {
  const held: URLSearchParams[] = [];
  misbehave(world.op, { authorize: (params) => (held.push(params), { status: 200, body: 'held' }) });
  await openApp(page, world);
  for (let i = 0; i < 2; i++) {
    await page.evaluate(() => void (window as any).client.login());
    await page.waitForURL((url) => url.pathname === '/authorize');
    await openApp(page, world);
  }
  const [a, b] = held as [URLSearchParams, URLSearchParams];
  const callbackFor = (params: URLSearchParams, sub: string) => {
    const url = new URL(`${world.app}/cb`);
    url.searchParams.set('code', world.op.mintCode(params, sub));
    url.searchParams.set('state', params.get('state') ?? '');
    url.searchParams.set('iss', world.op.issuer);
    return url.href;
  };
  // The provider completes A first, then B.
  for (const [params, sub] of [[a, 'ann'], [b, 'bob']] as const) {
    await page.goto(callbackFor(params, sub));
    await page.waitForFunction(() => (window as any).ready === true);
    expect(await page.evaluate(() => (window as any).callbackResult)).toMatchObject({ ok: true, sub });
  }
  // Each token request's verifier hashes to its own login's challenge (the provider checks PKCE).
  const verifiers = world.op.hits.filter((h) => h.endpoint === 'token').map((h) => h.body?.get('code_verifier'));
  expect(new Set(verifiers).size).toBe(2);
});

for (const error of ['access_denied', 'login_required', 'interaction_required', 'consent_required', 'temporarily_unavailable', 'x-unknown']) {
  test(`AR-06 error response ${error}: OAuthError with the provider's error, nothing stored`, async ({ page, world }) => {
    misbehave(world.op, {
      callback: (url, params) => {
        const answer = new URL(url.origin + url.pathname);
        answer.searchParams.set('error', error);
        answer.searchParams.set('error_description', 'The <b>provider</b> said no');
        answer.searchParams.set('state', params.get('state') ?? '');
        answer.searchParams.set('iss', world.op.issuer);
        return answer.href;
      },
    });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'OAuthError', code: 'oauth_error', error });
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes(':txn:')))).toEqual([]);
  });
}

test('AR-06 no re-login loop: one /authorize per user action over five attempts', async ({ page, world }) => {
  misbehave(world.op, {
    callback: (url, params) => `${url.origin}${url.pathname}?error=login_required&state=${params.get('state')}&iss=${encodeURIComponent(world.op.issuer)}`,
  });
  for (let i = 0; i < 5; i++) await login(page, world, { prompt: 'none' });
  await page.waitForTimeout(300);
  expect(world.op.count('authorize')).toBe(5);
});

const issuerVariants = (issuer: string) => [
  ['a foreign issuer', 'https://evil.test'],
  ['a trailing slash', `${issuer}/`],
  ['an upper-case host', issuer.replace('op.test', 'OP.test')],
  ['no port', 'https://op.test'],
];

test.describe('AR-09 issuer mismatch (mix-up)', () => {
  for (const [label, index] of [['a foreign issuer', 0], ['a trailing slash', 1], ['an upper-case host', 2], ['no port', 3]] as const) {
    test(`AR-09 iss with ${label} is refused before any token request`, async ({ page, world }) => {
      const iss = issuerVariants(world.op.issuer)[index]?.[1] as string;
      misbehave(world.op, { callback: (url) => (url.searchParams.set('iss', iss), url.href) });
      const result = await login(page, world);
      await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'issuer_mismatch' });
    });
  }

  test('AR-09 a code from provider B returned to a login started at A: no token request to either', async ({ page, world }) => {
    misbehave(world.op, {
      callback: (url, params) => {
        url.searchParams.set('code', world.op2.mintCode(params));
        url.searchParams.set('iss', world.op2.issuer);
        return url.href;
      },
    });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'issuer_mismatch' });
    expect(world.op2.count('token')).toBe(0);
  });
});

test.describe('AR-10 iss missing although advertised', () => {
  test('AR-10 a success response without iss is refused', async ({ page, world }) => {
    misbehave(world.op, { callback: (url) => (url.searchParams.delete('iss'), url.href) });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'issuer_mismatch' });
  });

  test('AR-10 an error response without iss is refused too', async ({ page, world }) => {
    misbehave(world.op, { callback: (url, params) => `${url.origin}${url.pathname}?error=access_denied&state=${params.get('state')}` });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'issuer_mismatch' });
  });

  test('AR-10 without the metadata flag a missing iss is accepted (and the flag survives the cache)', async ({ page, world }) => {
    misbehave(world.op, {
      metadata: (m) => ({ ...m, authorization_response_iss_parameter_supported: false }),
      callback: (url) => (url.searchParams.delete('iss'), url.href),
    });
    expect(await login(page, world)).toMatchObject({ ok: true });
    // With the flag on again, a cached copy must not hide it: a new page, cached metadata, no iss.
    misbehave(world.op, { callback: (url) => (url.searchParams.delete('iss'), url.href) });
    await page.evaluate(() => Object.keys(sessionStorage).forEach((k) => k.endsWith(':discovery') && sessionStorage.removeItem(k)));
    const tokenRequests = world.op.count('token');
    const result = await login(page, world);
    expect(result).toMatchObject({ ok: false, code: 'issuer_mismatch' });
    expect(world.op.count('token')).toBe(tokenRequests);
  });
});

test.describe('AR-11 code injection', () => {
  test("AR-11a the attacker's code with the user's state: the provider says invalid_grant, nothing stored", async ({ page, world }) => {
    misbehave(world.op, {
      callback: (url, params) => {
        // Bound to the attacker's own PKCE challenge and nonce.
        const attacker = new URLSearchParams(params);
        attacker.set('code_challenge', 'attacker-challenge-00000000000000000000000000');
        attacker.set('nonce', 'attacker-nonce');
        url.searchParams.set('code', world.op.mintCode(attacker));
        return url.href;
      },
    });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'OAuthError', error: 'invalid_grant' }, { tokenRequests: 1 });
    const sent = world.op.hits.find((h) => h.endpoint === 'token')?.body?.get('code_verifier') ?? '';
    expect(sent).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
  });

  test("AR-11b a lax provider ignores PKCE and returns the attacker's nonce: every token discarded", async ({ page, world }) => {
    misbehave(world.op, { ignorePkce: true, idTokenClaims: (c) => ({ ...c, nonce: 'attacker-nonce' }) });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'invalid_id_token' }, { tokenRequests: 1 });
  });
});

test.describe('FZ-02 fragment versus query', () => {
  test('FZ-02 a fragment-only response is refused and the fragment removed', async ({ page, world }) => {
    misbehave(world.op, { callback: (url) => `${url.origin}${url.pathname}#${url.searchParams}` });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError', code: 'state_missing' });
  });

  test('FZ-02 the code only in the fragment: refused, no token request', async ({ page, world }) => {
    misbehave(world.op, {
      callback: (url) => `${url.origin}${url.pathname}?state=${url.searchParams.get('state')}#code=${url.searchParams.get('code')}&iss=${encodeURIComponent(world.op.issuer)}`,
    });
    const result = await login(page, world);
    await expectRejectClean(page, world, result, { name: 'ProtocolError' });
  });

  test('FZ-02 only the query counts: a conflicting state or a token in the fragment is ignored and removed', async ({ page, world }) => {
    misbehave(world.op, { callback: (url) => `${url.href}#state=X&access_token=planted-token` });
    const result = await login(page, world);
    expect(result).toMatchObject({ ok: true, sub: 'alice' });
    expect((await addressBar(page)).hash).toBe('');
    expect(await storedText(page)).not.toContain('planted-token');
  });
});
