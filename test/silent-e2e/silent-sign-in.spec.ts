// oidc-session/silent end to end: a hidden frame to oidc-provider with prompt=none, the app on another
// site than the provider (127.0.0.1 vs localhost), in Chromium and Firefox with third-party cookies
// allowed or blocked by the browser's setting.
import type { Request } from '@playwright/test';
import { APP_PATH, SILENT_PATH, expect, nextVisit, openApp, signInAtProvider, silent, sessionKeys, test } from './fixtures.js';

/** How long the check took in the page, kept with the test's results (`--reporter=json`). */
const timing = (label: string, ms: number) => void test.info().annotations.push({ type: 'timing', description: `${label}: ${Math.round(ms)} ms` });

/** Takes the page errors matching `report` out of `pageErrors` (checked at the test's end) and counts them. */
function takeOut(pageErrors: string[], report: RegExp): number {
  const kept = pageErrors.filter((error) => !report.test(error));
  const taken = pageErrors.length - kept.length;
  pageErrors.splice(0, pageErrors.length, ...kept);
  return taken;
}

test.describe('third-party cookies allowed', () => {
  test('signed in at the provider: the next visit signs in silently, cross-site, and the frame page runs no app', async ({ context, page, world }) => {
    const { stack } = world;
    expect(new URL(stack.app.origin).hostname).toBe('127.0.0.1');
    expect(new URL(stack.provider.issuer).hostname).toBe('localhost');
    await signInAtProvider(page, stack);
    const visit = await nextVisit(context, stack, page);
    const exchanges = stack.provider.count('token', 'authorization_code');

    const outcome = await silent(visit);
    expect(outcome).toMatchObject({ ok: true, result: { kind: 'login', sub: 'ada', returnTo: APP_PATH } });
    expect(await visit.evaluate(() => (window as any).client.state)).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
    expect(await visit.evaluate(() => (window as any).events)).toEqual(['login']);
    // The code was redeemed once, by this page: the frame (the app's own page) handed it over and ran nothing.
    expect(stack.provider.count('token', 'authorization_code')).toBe(exchanges + 1);
    expect(await visit.evaluate(() => (window as any).frames())).toBe(0);
    // The request said prompt=none and came back to the app's page.
    const authorization = stack.provider.requests.filter((r) => r.route === 'authorization').at(-1);
    expect(authorization?.status).toBe(303);
    timing(`signed in`, outcome.ms);
  });

  test('through a dedicated silent-callback page, registered as its own redirect URI', async ({ context, page, world }) => {
    const { stack } = world;
    await signInAtProvider(page, stack, 'grace');
    const visit = await nextVisit(context, stack, page);
    const redirects: string[] = [];
    visit.on('framenavigated', (frame) => frame !== visit.mainFrame() && redirects.push(frame.url()));
    const outcome = await silent(visit, { redirectUri: stack.app.origin + SILENT_PATH, returnTo: '/silent/app.html?after' });
    expect(outcome).toMatchObject({ ok: true, result: { kind: 'login', sub: 'grace', returnTo: '/silent/app.html?after' } });
    expect(redirects.some((url) => url.startsWith(stack.app.origin + SILENT_PATH + '?'))).toBe(true);
  });

  test('not signed in at the provider: login required, nothing stored, the state stays anonymous', async ({ page, world }) => {
    const { stack } = world;
    await openApp(page, stack);
    await page.waitForFunction(() => (window as any).client.state.status === 'anonymous');
    const outcome = await silent(page);
    expect(outcome).toMatchObject({ ok: false, name: 'LoginRequiredError', code: 'login_required', providerError: 'login_required', isAuthError: true });
    expect(outcome.message).toContain('call login()');
    expect(await page.evaluate(() => (window as any).client.state.status)).toBe('anonymous');
    expect(await page.evaluate(() => [(window as any).statuses, (window as any).events])).toEqual([['loading', 'anonymous'], []]);
    // The provider's answer consumed the check's pending login: nothing is left behind.
    expect(await sessionKeys(page)).toEqual([]);
    expect(await page.evaluate(() => (window as any).frames())).toBe(0);
    timing(`not signed in`, outcome.ms);
  });

  test('a session already in the app: nothing is sent and the session is untouched', async ({ page, world }) => {
    const { stack } = world;
    await signInAtProvider(page, stack);
    const before = await page.evaluate(() => (window as any).client.getAccessToken());
    const authorizations = stack.provider.count('authorization');
    expect(await silent(page)).toMatchObject({ ok: true, result: 'undefined' });
    expect(stack.provider.count('authorization')).toBe(authorizations);
    expect(await page.evaluate(() => (window as any).client.getAccessToken())).toBe(before);
    expect(await page.evaluate(() => (window as any).client.state.status)).toBe('authenticated');
  });

  test('a provider that answers with a page (not a redirect) still works when it allows framing', async ({ context, page, world, switches }) => {
    const { stack } = world;
    await signInAtProvider(page, stack);
    const visit = await nextVisit(context, stack, page);
    switches.bouncePage = true;
    expect(await silent(visit)).toMatchObject({ ok: true, result: { kind: 'login', sub: 'ada' } });
  });

  for (const framing of ['deny', 'csp'] as const) {
    test(`the provider refuses to be framed (${framing === 'deny' ? 'X-Frame-Options: DENY' : "CSP frame-ancestors 'none'"}): silent_unavailable at the deadline`, async ({ context, page, world, switches, browserName, pageErrors }) => {
      const { stack } = world;
      await signInAtProvider(page, stack);
      const visit = await nextVisit(context, stack, page);
      switches.bouncePage = true;
      switches.framing = framing;
      const outcome = await silent(visit, { timeoutMs: 2000 });
      expect(outcome).toMatchObject({ ok: false, name: 'AuthError', code: 'silent_unavailable' });
      expect(outcome.message).toContain('refuses to be framed');
      expect(outcome.message).toContain('refresh tokens');
      expect(outcome.ms).toBeGreaterThanOrEqual(1990);
      expect(outcome.ms).toBeLessThan(4000);
      expect(await visit.evaluate(() => [(window as any).client.state.status, (window as any).frames()])).toEqual(['anonymous', 0]);
      // Firefox reports the refused frame as a page error (Chromium on the console only): no script
      // threw, and the report is what this test expects.
      if (browserName === 'firefox') {
        const report = framing === 'deny' ? /in a frame is denied by “X-Frame-Options“ directive set to “deny“/ : /violates the following directive: “frame-ancestors 'none'”/;
        expect(takeOut(pageErrors, report)).toBeGreaterThan(0);
      }
      timing(`framing refused (${framing})`, outcome.ms);
    });
  }

  test('a provider that never answers: timeout at the deadline, or aborted at once; the frame gone either way', async ({ page, world, switches }) => {
    const { stack } = world;
    await openApp(page, stack);
    switches.stall = true;
    const outcome = await silent(page, { timeoutMs: 1500 });
    expect(outcome).toMatchObject({ ok: false, name: 'NetworkError', code: 'timeout' });
    expect(outcome.ms).toBeGreaterThanOrEqual(1490);
    expect(outcome.ms).toBeLessThan(3000);
    const abort = await page.evaluate(() => (window as any).silentAborted(200, { timeoutMs: 10_000 }));
    expect(abort).toMatchObject({ ok: false, name: 'AuthError', code: 'aborted' });
    expect(abort.ms).toBeLessThan(2000);
    expect(await page.evaluate(() => [(window as any).client.state.status, (window as any).frames()])).toEqual(['anonymous', 0]);
  });

  test('a cross-origin isolated page (COOP + COEP): silent_unavailable at once, without a frame or a request', async ({ page, world }) => {
    const { stack } = world;
    await page.route(`${stack.app.origin}${APP_PATH}*`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
      });
    });
    await openApp(page, stack);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const authorizations = stack.provider.count('authorization');
    const outcome = await silent(page);
    expect(outcome).toMatchObject({ ok: false, name: 'AuthError', code: 'silent_unavailable' });
    expect(outcome.message).toContain('cross-origin isolated');
    expect(outcome.ms).toBeLessThan(1000);
    expect(stack.provider.count('authorization')).toBe(authorizations);
    expect(await page.evaluate(() => (window as any).frames())).toBe(0);
  });
});

test.describe('third-party cookies blocked', () => {
  test.use({ thirdPartyCookies: 'blocked' });

  test('signed in at the provider, but the frame gets no cookie: login required (cannot be told apart), the session untouched', async ({ context, page, world, browserName }) => {
    const { stack } = world;
    await signInAtProvider(page, stack);
    const visit = await nextVisit(context, stack, page);
    // The Cookie header of each authorization request the tab sends, framed or top-level.
    const authorizations: { framed: boolean; cookie: Promise<string | null> }[] = [];
    visit.on('request', (request: Request) => {
      if (request.url().startsWith(`${stack.provider.issuer}/auth?`)) {
        authorizations.push({ framed: request.frame() !== visit.mainFrame(), cookie: request.headerValue('cookie') });
      }
    });
    // Chromium's own account of the framed request: the provider's session cookie withheld by the setting.
    const blocked: string[][] = [];
    if (browserName === 'chromium') {
      const cdp = await context.newCDPSession(visit);
      await cdp.send('Network.enable');
      cdp.on('Network.requestWillBeSentExtraInfo', (event: any) => {
        for (const { cookie, blockedReasons } of event.associatedCookies ?? []) if (cookie.name === '_session') blocked.push(blockedReasons);
      });
    }
    const outcome = await silent(visit);
    if (browserName === 'chromium') expect(blocked).toContainEqual(['UserPreferences']);
    expect(outcome).toMatchObject({ ok: false, name: 'LoginRequiredError', code: 'login_required', providerError: 'login_required' });
    // The message names the cause it cannot rule out.
    expect(outcome.message).toContain('third-party cookies blocked');
    expect(await visit.evaluate(() => [(window as any).client.state.status, (window as any).events])).toEqual(['anonymous', []]);
    // The provider's session is there all along: a top-level redirect (first-party cookies) signs in without the form.
    await Promise.all([
      visit.waitForURL((url) => url.origin === stack.app.origin && url.searchParams.has('code')),
      visit.evaluate(() => void (window as any).login()),
    ]);
    await visit.waitForFunction(() => (window as any).client?.state.status === 'authenticated');
    // In every engine: the framed request went without the session cookie, the top-level one with it.
    const sent = await Promise.all(authorizations.map(async ({ framed, cookie }) => ({ framed, session: /(^|;\s*)_session=/.test((await cookie) ?? '') })));
    expect(sent).toEqual([
      { framed: true, session: false },
      { framed: false, session: true },
    ]);
    timing(`third-party cookies blocked`, outcome.ms);
  });

  test('a failed check in one tab ends no session: the tab that has one keeps it, and hears nothing', async ({ context, page, world }) => {
    const { stack } = world;
    await signInAtProvider(page, stack);
    const token = await page.evaluate(() => (window as any).client.getAccessToken());
    // A second tab that does not share sessions: anonymous, so its check really runs, and fails.
    const other = await context.newPage();
    await openApp(other, stack, '?own-session');
    await other.waitForFunction(() => (window as any).client.state.status === 'anonymous');
    expect(await silent(other)).toMatchObject({ ok: false, code: 'login_required' });
    await page.waitForTimeout(300); // time for any cross-tab message to arrive
    expect(await page.evaluate(() => [(window as any).client.state.status, (window as any).events])).toEqual(['authenticated', ['login']]);
    expect(await page.evaluate(() => (window as any).client.getAccessToken())).toBe(token);
    // And in the tab with the session, the check is not even sent.
    const authorizations = stack.provider.count('authorization');
    expect(await silent(page)).toMatchObject({ ok: true, result: 'undefined' });
    expect(stack.provider.count('authorization')).toBe(authorizations);
  });
});
