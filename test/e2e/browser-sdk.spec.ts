import {
  BUILDS,
  everythingStored,
  expect,
  openHarness,
  signIn,
  startLogin,
  storedSession,
  test,
  type Build,
} from './fixtures.js';
import { goBack } from '../support/history.js';
import { addressBar } from '../support/page-checks.js';

for (const build of Object.keys(BUILDS) as Build[]) {
  test.describe(`${build} build`, () => {
    test('signs in through the provider login form and cleans the address bar', async ({ page, stack }) => {
      const result = await signIn(page, stack, build, 'ada');
      expect(result).toEqual({ ok: true, sub: 'ada', returnTo: BUILDS[build] });
      const url = (await addressBar(page));
      expect([...url.searchParams.keys()]).toEqual([]);
      expect(url.hash).toBe('');
      const state = await page.evaluate(() => (window as any).client.state);
      expect(state.status).toBe('authenticated');
      expect(state.user).toMatchObject({ sub: 'ada', name: 'Ada', email: 'ada@example.com', iss: stack.provider.issuer });
      expect(state.expiresAt).toBeGreaterThan(Date.now());
      const events = await page.evaluate(() => (window as any).events);
      const sequence = events.filter((e: { type: string }) => e.type !== 'pageshow').map((e: { type: string; status?: string }) => e.status ?? e.type);
      // The callback page says 'loading' until the code is redeemed: never 'anonymous' on the way.
      expect(sequence).toEqual(['loading', 'authenticated', 'login']);
      expect(await storedSession(page)).toMatchObject({ v: 1, claims: { sub: 'ada' } });
      expect(stack.provider.count('token', 'authorization_code')).toBeGreaterThanOrEqual(1);
    });

    test('refreshes after the access token expires and persists the rotated refresh token', async ({ page, stack }) => {
      await signIn(page, stack, build);
      const before = (await storedSession(page)) as Record<string, any>;
      const refreshesBefore = stack.provider.count('token', 'refresh_token');
      const revokedBefore = stack.provider.revokedGrants.length;
      await page.waitForTimeout(Math.max(0, before.expiresAt - Date.now()) + 200);
      const token = await page.evaluate(() => (window as any).client.getAccessToken());
      const after = (await storedSession(page)) as Record<string, any>;
      expect(stack.provider.count('token', 'refresh_token')).toBe(refreshesBefore + 1);
      expect(token).toBe(after.accessToken);
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(after.expiresAt).toBeGreaterThan(Date.now());
      // The rotated token is the live one: a second refresh with it succeeds (reuse of the old one would revoke the grant).
      const second = await page.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }));
      expect(second).not.toBe(token);
      expect(stack.provider.revokedGrants.length).toBe(revokedBefore);
      const events = await page.evaluate(() => (window as any).events.filter((e: { type: string }) => e.type === 'refresh').length);
      expect(events).toBe(2);
    });

    test('20 concurrent getAccessToken() calls after expiry make exactly one token request', async ({ page, stack }) => {
      await signIn(page, stack, build);
      const before = (await storedSession(page)) as Record<string, any>;
      await page.waitForTimeout(Math.max(0, before.expiresAt - Date.now()) + 200);
      const refreshesBefore = stack.provider.count('token', 'refresh_token');
      const tokens: string[] = await page.evaluate(() =>
        Promise.all(Array.from({ length: 20 }, () => (window as any).client.getAccessToken())),
      );
      expect(tokens).toHaveLength(20);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).not.toBe(before.accessToken);
      expect(stack.provider.count('token', 'refresh_token')).toBe(refreshesBefore + 1);
      expect(await page.evaluate(() => (window as any).client.state.status)).toBe('authenticated');
    });

    test('a cancelled login (access_denied) rejects with OAuthError and stores nothing', async ({ page, stack }) => {
      await openHarness(page, stack, build);
      await startLogin(page, stack);
      const codeRedemptions = stack.provider.count('token', 'authorization_code');
      await Promise.all([page.waitForURL((url) => url.href.startsWith(stack.app.origin)), page.click('text=Cancel')]);
      await page.waitForFunction(() => (window as any).harnessReady === true);
      const result = await page.evaluate(() => (window as any).callbackResult);
      expect(result).toMatchObject({ ok: false, name: 'OAuthError', code: 'oauth_error', error: 'access_denied', isAuthError: true });
      expect(stack.provider.count('token', 'authorization_code')).toBe(codeRedemptions);
      expect(await storedSession(page)).toBeNull();
      expect((await addressBar(page)).search).toBe('');
      expect(await page.evaluate(() => (window as any).client.state.status)).toBe('anonymous');
    });

    test('a tampered state is a ProtocolError, nothing is redeemed or stored, and the genuine callback still works', async ({ page, stack }) => {
      await openHarness(page, stack, build);
      await page.evaluate(() => sessionStorage.setItem('harness:manual-callback', '1'));
      await startLogin(page, stack);
      await page.fill('input[name=login]', 'ada');
      await Promise.all([page.waitForURL((url) => url.searchParams.has('code')), page.click('button.primary')]);
      await page.waitForFunction(() => (window as any).harnessReady === true);
      const genuine = page.url();
      await page.evaluate(() => sessionStorage.removeItem('harness:manual-callback'));
      const redemptions = stack.provider.count('token', 'authorization_code');

      const tampered = new URL(genuine);
      tampered.searchParams.set('state', 'x'.repeat(43));
      await page.goto(tampered.href);
      await page.waitForFunction(() => (window as any).harnessReady === true);
      const result = await page.evaluate(() => (window as any).callbackResult);
      expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'state_mismatch', isAuthError: true });
      expect(result.message).not.toContain(tampered.searchParams.get('code'));
      expect(stack.provider.count('token', 'authorization_code')).toBe(redemptions);
      expect(await storedSession(page)).toBeNull();
      expect((await addressBar(page)).search).toBe('');

      await page.goto(genuine);
      await page.waitForFunction(() => (window as any).harnessReady === true);
      expect(await page.evaluate(() => (window as any).callbackResult)).toMatchObject({ ok: true, sub: 'ada' });
    });

    test('a replayed callback URL is refused and the live session survives', async ({ page, stack }) => {
      let callbackUrl = '';
      page.on('request', (request) => {
        if (request.isNavigationRequest() && request.url().includes('code=')) callbackUrl = request.url();
      });
      await signIn(page, stack, build);
      expect(callbackUrl).toContain('state=');
      const session = await storedSession(page);
      const redemptions = stack.provider.count('token', 'authorization_code');

      await page.goto(callbackUrl);
      await page.waitForFunction(() => (window as any).harnessReady === true);
      const result = await page.evaluate(() => (window as any).callbackResult);
      expect(result).toMatchObject({ ok: false, name: 'ProtocolError', code: 'transaction_not_found' });
      expect(stack.provider.count('token', 'authorization_code')).toBe(redemptions);
      expect(await storedSession(page)).toEqual(session);
      expect(await page.evaluate(() => (window as any).client.state.status)).toBe('authenticated');
      expect((await addressBar(page)).search).toBe('');

      // Back to the callback entry in history: the same outcome.
      await goBack(page, 'harnessReady');
      expect(await page.evaluate(() => (window as any).client.state.status)).toBe('authenticated');
      expect(stack.provider.count('token', 'authorization_code')).toBe(redemptions);
    });

    test('logout leaves no token anywhere, revokes the refresh token and reaches end-session', async ({ page, stack }) => {
      await signIn(page, stack, build);
      const session = (await storedSession(page)) as Record<string, any>;
      const endSessionBefore = stack.provider.count('end_session');
      const revocationsBefore = stack.provider.count('revocation');
      await Promise.all([
        page.waitForURL((url) => url.origin === stack.provider.issuer),
        page.evaluate(() => void (window as any).client.logout()),
      ]);
      await page.waitForSelector('button[name=logout]');
      expect(stack.provider.count('end_session')).toBe(endSessionBefore + 1);
      const endSession = new URL(page.url());
      expect(endSession.pathname).toBe('/session/end');
      await expect.poll(() => stack.provider.count('revocation')).toBe(revocationsBefore + 1);

      await Promise.all([page.waitForURL((url) => url.href.startsWith(stack.app.origin)), page.click('button[name=logout]')]);
      await page.waitForFunction(() => (window as any).harnessReady === true);
      expect(await page.evaluate(() => (window as any).client.state.status)).toBe('anonymous');
      const stored = await everythingStored(page);
      for (const secret of [session.accessToken, session.refreshToken, session.idToken]) expect(stored).not.toContain(secret);
      expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      // The revoked refresh token is dead at the provider.
      const refresh = await page.evaluate(
        async ({ issuer, clientId, refreshToken }) =>
          (
            await fetch(`${issuer}/token`, {
              method: 'POST',
              body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
            })
          ).status,
        { issuer: stack.provider.issuer, clientId: stack.provider.clientId, refreshToken: session.refreshToken },
      );
      expect(refresh).toBe(400);
    });
  });
}

test('the npm and CDN copies on one page recognise each other\'s errors', async ({ page, stack }) => {
  await page.goto(`${stack.app.origin}/test/two-copies.html`);
  await page.waitForFunction(() => (window as any).harnessReady === true);
  const result = await page.evaluate(() => {
    const { npm, cdn } = (window as any).copies;
    const fromNpm = (() => { try { new npm.AuthClient({}); } catch (e) { return e; } })();
    const fromCdn = (() => { try { new cdn.AuthClient({}); } catch (e) { return e as { code: string }; } })();
    return {
      distinctCopies: npm.AuthError !== cdn.AuthError,
      cdnSeesNpm: cdn.isAuthError(fromNpm),
      npmSeesCdn: npm.isAuthError(fromCdn),
      plainError: npm.isAuthError(new Error('x')) || cdn.isAuthError({ code: 'invalid_config' }),
      code: fromCdn?.code,
    };
  });
  expect(result).toEqual({ distinctCopies: true, cdnSeesNpm: true, npmSeesCdn: true, plainError: false, code: 'invalid_config' });
});

