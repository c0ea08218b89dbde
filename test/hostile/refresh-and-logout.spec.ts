import type { Page } from '@playwright/test';
import { expect, expectFailedRequests, expectNoTokensStored, login, misbehave, openApp, setAppOptions, stateOf, storedText, test } from './fixtures.js';
import type { RawResponse } from './provider.js';
import { anonymousAt, recordWhenAnonymous } from '../support/page-clock.js';

// F. Refresh; G. logout and redirects after login.

const SESSION = 'oidc-session:v1:spa:session';
const stored = (page: Page) => page.evaluate((key) => JSON.parse(sessionStorage.getItem(key) ?? 'null'), SESSION);
/** Moves the page's clock past the access token's expiry (the app's `now` reads window.skewMs). */
const expire = (page: Page, seconds = 700) => page.evaluate((s) => void ((window as any).skewMs = ((window as any).skewMs ?? 0) + s * 1000), seconds);
const token = (page: Page) => page.evaluate(() => (window as any).client.getAccessToken().then((t: string) => ({ ok: true, t }), (window as any).describe));

test('RF-01 invalid_grant ends the session: LoginRequiredError, anonymous, storage clean, one attempt', async ({ page, world }) => {
  await login(page, world);
  misbehave(world.op, { token: () => ({ status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_grant"}' }) });
  await expire(page);
  expect(await token(page)).toMatchObject({ ok: false, name: 'LoginRequiredError', code: 'login_required' });
  expect(await token(page)).toMatchObject({ ok: false, name: 'LoginRequiredError' });
  expect(world.op.count('token', 'refresh_token')).toBe(1);
  expect((await stateOf(page)).status).toBe('anonymous');
  await expectNoTokensStored(page, world.op);
});

test.describe('RF-02 rotation', () => {
  test('RF-02a each refresh rotates: the new refresh token is stored, the provider sees no reuse', async ({ page, world }) => {
    await login(page, world);
    for (let i = 0; i < 3; i++) {
      const before = await stored(page);
      await expire(page);
      expect(await token(page)).toMatchObject({ ok: true });
      const after = await stored(page);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect((await storedText(page)).split(before.refreshToken).length).toBe(1);
    }
    expect(world.op.revokedFamilies.size).toBe(0);
    expect(world.op.count('token', 'refresh_token')).toBe(3);
  });

  test('RF-02b no refresh_token in the response: the old one is kept', async ({ page, world }) => {
    await login(page, world);
    const before = await stored(page);
    misbehave(world.op, { tokenJson: ({ refresh_token: _r, ...j }) => j });
    await expire(page);
    expect(await token(page)).toMatchObject({ ok: true });
    expect((await stored(page)).refreshToken).toBe(before.refreshToken);
  });

  for (const [label, value] of [['""', ''], ['42', 42]] as const) {
    test(`RF-02c refresh_token ${label}: ProtocolError, the old one kept`, async ({ page, world }) => {
      await login(page, world);
      const before = await stored(page);
      misbehave(world.op, { tokenJson: (j) => ({ ...j, refresh_token: value }) });
      await expire(page);
      expect(await token(page)).toMatchObject({ ok: false, name: 'ProtocolError' });
      expect(await stored(page)).toEqual(before);
      expect((await stateOf(page)).status).toBe('authenticated');
    });
  }
});

test('RF-03 ten parallel calls in one tab with an expired token: one refresh, one token, no family revoked', async ({ page, world }) => {
  await login(page, world);
  await expire(page);
  const tokens = await page.evaluate(() => Promise.all(Array.from({ length: 10 }, () => (window as any).client.getAccessToken())));
  expect(new Set(tokens).size).toBe(1);
  expect(world.op.count('token', 'refresh_token')).toBe(1);
  expect(world.op.revokedFamilies.size).toBe(0);
});

test.describe('RF-04 concurrent refresh across tabs', () => {
  test('RF-04a a duplicated tab (copied sessionStorage) never replays the sibling\'s refresh token', async ({ page, context, world }) => {
    await login(page, world);
    const copy = await page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)));
    const twin = await context.newPage();
    // What the browser's "Duplicate tab" does: the new tab starts with a copy of sessionStorage.
    await twin.addInitScript((entries) => {
      // Not on the new tab's about:blank, where Firefox throws on any use of sessionStorage.
      if (location.protocol === 'https:' && sessionStorage.length === 0) for (const [k, v] of JSON.parse(entries)) sessionStorage.setItem(k, v);
    }, copy);
    await openApp(twin, world);
    expect((await stateOf(twin)).status).toBe('authenticated');
    for (let round = 0; round < 3; round++) {
      await Promise.all([expire(page), expire(twin)]);
      const [a, b] = await Promise.all([token(page), token(twin)]);
      expect(a).toMatchObject({ ok: true });
      expect(b).toMatchObject({ ok: true });
    }
    expect(world.op.revokedFamilies.size).toBe(0);
    expect(world.op.count('token', 'refresh_token')).toBe(3);
  });

  test('RF-04b two tabs sharing IndexedDB refresh once and both stay signed in', async ({ page, context, world }) => {
    await setAppOptions(page, world, { storage: 'indexeddb' });
    await login(page, world);
    const other = await context.newPage();
    await openApp(other, world);
    for (let round = 0; round < 3; round++) {
      await Promise.all([expire(page), expire(other)]);
      const [a, b] = await Promise.all([token(page), token(other)]);
      expect(a).toMatchObject({ ok: true });
      expect(b).toEqual(a);
    }
    expect(world.op.revokedFamilies.size).toBe(0);
    expect(world.op.count('token', 'refresh_token')).toBe(3);
  });
});

test.describe('RF-05 transient failure', () => {
  const failures: Array<[string, RawResponse | 'no-cors']> = [
    ['a network error', { destroy: true }],
    ['502', { status: 502, body: 'bad gateway' }],
    ['503', { status: 503, body: 'busy' }],
    ['429', { status: 429, headers: { 'content-type': 'application/json' }, body: '{"error":"slow_down"}' }],
    ['500', { status: 500, headers: { 'content-type': 'text/html' }, body: 'oops' }],
    ['500 with a JSON error body', { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"server_error"}' }],
    ['a hang past the deadline', { hang: true }],
    ['a CORS error', 'no-cors'],
  ];
  for (const [label, answer] of failures) {
    test(`RF-05 ${label}: NetworkError, the refresh token kept, signed in, recovery later`, async ({ page, world }) => {
      expectFailedRequests();
      await login(page, world);
      const before = await stored(page);
      misbehave(world.op, answer === 'no-cors' ? { noCors: true } : { token: () => answer });
      await expire(page);
      expect(await token(page)).toMatchObject({ ok: false, name: 'NetworkError' });
      expect((await stored(page)).refreshToken).toBe(before.refreshToken);
      expect((await stateOf(page)).status).toBe('authenticated');
      misbehave(world.op, {});
      await expire(page, 5); // past the first back-off step
      const recovered = await token(page);
      expect(recovered, JSON.stringify(recovered)).toMatchObject({ ok: true });
    });
  }

  for (const status of [429, 503]) {
    test(`RF-05 ${status} with Retry-After: 120 (exposed by CORS): no attempt for 120 s, the error says when`, async ({ page, world }) => {
      await login(page, world);
      misbehave(world.op, { token: () => ({ status, headers: { 'retry-after': '120', 'access-control-expose-headers': 'retry-after' }, body: 'busy' }) });
      await expire(page);
      const first = await token(page);
      const now = await page.evaluate(() => Date.now() + ((window as any).skewMs ?? 0));
      expect(first).toMatchObject({ ok: false, name: 'NetworkError' });
      expect(first.retryAt - now).toBeGreaterThan(115_000);
      expect(first.retryAt - now).toBeLessThanOrEqual(120_000);
      for (let i = 0; i < 5; i++) {
        await expire(page, 20);
        expect(await token(page)).toMatchObject({ ok: false, name: 'NetworkError', retryAt: first.retryAt });
      }
      expect(world.op.count('token', 'refresh_token')).toBe(1);
      misbehave(world.op, {});
      await expire(page, 21);
      expect(await token(page)).toMatchObject({ ok: true });
    });
  }

  test('RF-05 capped back-off: at most four attempts in 60 s of retries, then recovery', async ({ page, world }) => {
    expectFailedRequests();
    await login(page, world);
    // The SDK's attempts are the page's requests. The provider may see more: Firefox sends a request
    // again by itself when its connection is reset before any answer (a transport retry, not the SDK's).
    // (After login, every token request is a refresh; Firefox over BiDi shows no request bodies.)
    let attempts = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/token') attempts++;
    });
    misbehave(world.op, { token: ({ grant }) => (grant === 'refresh_token' ? { destroy: true } : undefined) });
    await expire(page);
    const start = await page.evaluate(() => Date.now() + (window as any).skewMs);
    for (let second = 0; second < 60; second++) {
      // The page's clock set to exactly `second` s into the retries, however long each step takes for
      // real (a step through Firefox's BiDi takes ~0.1 s, which adding 1 s a step would pile up).
      await page.evaluate((at) => ((window as any).skewMs = at - Date.now()), start + second * 1000);
      await token(page);
    }
    // 0, 4, 12 and 28 s: the back-off of 4, 8 and 16 s (the next, 32 s, falls at 60 s).
    expect(attempts).toBe(4);
    expect(world.op.count('token', 'refresh_token')).toBeGreaterThanOrEqual(attempts);
    expect((await stateOf(page)).status).toBe('authenticated');
    misbehave(world.op, {});
    await expire(page, 60);
    expect(await token(page)).toMatchObject({ ok: true });
  });
});

test.describe('LO-01 open redirect after login', () => {
  const targets = ['https://evil.test', '//evil.test', '/\\evil.test', '/\t/evil.test', 'https:evil.test', 'javascript:alert(1)'];
  for (const target of targets) {
    test(`LO-01 returnTo ${JSON.stringify(target)} passed in is refused before any navigation`, async ({ page, world }) => {
      await openApp(page, world);
      const error = await page.evaluate((t) => (window as any).client.login({ returnTo: t }).then(() => null, (window as any).describe), target);
      expect(error).toMatchObject({ name: 'ConfigError', code: 'invalid_config' });
      expect(world.op.count('authorize')).toBe(0);
    });
  }

  test('LO-01 every target planted in the stored login record ends on our own origin', async ({ page, world }) => {
    misbehave(world.op, { authorize: () => ({ status: 200, body: 'held' }) });
    await page.goto(`${world.app}/`);
    await page.evaluate(() => sessionStorage.setItem('hostile:follow', '1'));
    for (const target of [...targets, '/%2F%2Fevil.test']) {
      world.op.scenario = { authorize: () => ({ status: 200, body: 'held' }) };
      await openApp(page, world);
      await page.evaluate(() => void (window as any).client.login());
      await page.waitForURL((url) => url.pathname === '/authorize');
      const params = new URL(page.url()).searchParams;
      // The attacker rewrites the pending login's returnTo in storage.
      await openApp(page, world);
      await page.evaluate(
        ({ state, t }) => {
          const key = Object.keys(sessionStorage).find((k) => k.endsWith(`:txn:${state}`)) as string;
          sessionStorage.setItem(key, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(key) as string), returnTo: t }));
        },
        { state: params.get('state'), t: target },
      );
      const callback = new URL(`${world.app}/cb`);
      callback.searchParams.set('code', world.op.mintCode(params));
      callback.searchParams.set('state', params.get('state') ?? '');
      callback.searchParams.set('iss', world.op.issuer);
      await page.goto(callback.href);
      // The app follows returnTo once the callback is handled: wait for it to leave /cb.
      await page.waitForURL((url) => url.pathname !== '/cb', { waitUntil: 'commit' });
      expect(new URL(page.url()).origin, `after ${JSON.stringify(target)}`).toBe(world.app);
      // Let that page finish loading: a new goto over a navigation in flight is cut short in Firefox.
      await page.waitForLoadState('load');
    }
    expect(world.evil.hits).toEqual([]);
  });
});

test('LO-02 logout({ returnTo: evil }) sends only a configured post_logout_redirect_uri, with id_token_hint and state', async ({ page, world }) => {
  misbehave(world.op, { laxLogout: true });
  await login(page, world);
  await Promise.all([
    page.waitForURL((url) => url.origin === world.app && url.pathname === '/'),
    page.evaluate(() => void (window as any).client.logout({ returnTo: 'https://evil.test/' })),
  ]);
  const endSession = new URL(world.op.hits.find((h) => h.endpoint === 'end-session')?.url ?? 'x:');
  expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${world.app}/`);
  expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
  expect(endSession.searchParams.get('state')).toBeTruthy();
  expect(world.evil.hits).toEqual([]);
});

test('LO-03 everything is cleared first, other tabs told, revocation sent, even with end-session down', async ({ page, context, world }) => {
  await login(page, world);
  const other = await context.newPage();
  await openApp(other, world);
  expect((await stateOf(other)).status).toBe('authenticated');
  misbehave(world.op, { endSession: () => ({ destroy: true }) });
  // Timed in the pages: from the logout() call to the other tab's anonymous state.
  await recordWhenAnonymous(other);
  const started = await page.evaluate(() => {
    const at = Date.now();
    void (window as any).client.logout();
    return at;
  });
  await other.waitForFunction(() => (window as any).client.state.status === 'anonymous', undefined, { timeout: 5000 });
  expect(((await anonymousAt(other)) as number) - started).toBeLessThan(1000);
  await expect.poll(() => world.op.count('revoke')).toBe(1);
  await expectNoTokensStored(other, world.op);
  // The tab that left for the (dead) end-session endpoint: back on the app, nothing is left either.
  // (Its failed navigation may still be landing on Chrome's error page: retry until the app is up.)
  await expect(() => openApp(page, world)).toPass({ timeout: 10_000 });
  expect((await stateOf(page)).status).toBe('anonymous');
  await expectNoTokensStored(page, world.op);
});
