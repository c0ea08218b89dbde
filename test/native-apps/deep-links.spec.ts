// Native apps built with web technology (Capacitor, Ionic, Tauri): the login runs in the system browser,
// the provider redirects to the app's private-use scheme (RFC 8252 §7.1) or a claimed https URL
// (§7.2), the operating system hands that URL to the app, and the app passes it to handleRedirect(url).
import {
  CLAIMED_LOGOUT_PATH,
  CLAIMED_PATH,
  PRIVATE_USE_LOGOUT,
  PRIVATE_USE_REDIRECT,
  SCHEME,
  expect,
  openApp,
  openedUrls,
  signInAtProvider,
  test,
} from './fixtures.js';

test.describe('a private-use scheme (com.example.app:/callback)', () => {
  test('signs in: the system browser logs in, the deep link completes the login in the app', async ({ page, stack, systemBrowser, deepLinks }) => {
    await openApp(page, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    const login = page.evaluate(() => (window as any).app.login({ returnTo: '/settings' }));
    expect(await login).toEqual({ ok: true });
    const [authorization] = await openedUrls(page);
    expect(new URL(authorization as string).searchParams.get('redirect_uri')).toBe(PRIVATE_USE_REDIRECT);
    // The web view itself never went to the provider.
    expect(new URL(page.url()).origin).toBe(stack.app.origin);

    await signInAtProvider(systemBrowser, authorization as string);
    const link = await deepLinks.next();
    expect(link.startsWith(`${PRIVATE_USE_REDIRECT}?`)).toBe(true);
    expect(await page.evaluate((url) => (window as any).app.isCallback(url), link)).toBe(true);

    const appUrlBefore = page.url();
    const result = await page.evaluate((url) => (window as any).app.handle(url), link);
    expect(result).toEqual({ ok: true, kind: 'login', sub: 'ada', returnTo: '/settings' });
    expect(await page.evaluate(() => (window as any).app.client.state.status)).toBe('authenticated');
    expect(await page.evaluate(() => (window as any).app.client.getAccessToken().then((t: string) => t.length > 10))).toBe(true);
    // A deep link is not the page's address: the web view's URL is left as it was.
    expect(page.url()).toBe(appUrlBefore);
    // The tokens went to the app's durable storage.
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.endsWith(':session')));
    expect(stored).toEqual(['oidc-session:v1:native-app:session']);
  });

  test('the app killed while the system browser is open: a cold start completes the login from the stored pending login', async ({ page, context, stack, systemBrowser, deepLinks }) => {
    await openApp(page, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    await page.evaluate(() => (window as any).app.login());
    const [authorization] = await openedUrls(page);
    // The operating system ends the app; only its storage survives.
    await page.close();

    await signInAtProvider(systemBrowser, authorization as string);
    const link = await deepLinks.next();

    // Cold start: the app opens because of the link and hands it over.
    const tokenRequests = stack.provider.count('token', 'authorization_code');
    const restarted = await context.newPage();
    await openApp(restarted, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    const result = await restarted.evaluate((url) => (window as any).app.handle(url), link);
    expect(result).toMatchObject({ ok: true, kind: 'login', sub: 'ada' });
    // The operating system delivering the link twice: the same answer, one redemption.
    expect(await restarted.evaluate((url) => (window as any).app.handle(url), link)).toEqual(result);
    expect(stack.provider.count('token', 'authorization_code')).toBe(tokenRequests + 1);
    // Single use: the link replayed after another restart is refused.
    const replay = await context.newPage();
    await openApp(replay, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    const replayed = await replay.evaluate((url) => (window as any).app.client.handleCallback(url).then(() => 'accepted', (e: any) => e.code), link);
    expect(replayed).toBe('transaction_not_found');
  });

  test('foreign deep links are refused and cost the pending login nothing: another path, another scheme, a forged state', async ({ page, stack, systemBrowser, deepLinks }) => {
    await openApp(page, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    await page.evaluate(() => (window as any).app.login());
    const [authorization] = await openedUrls(page);
    const state = new URL(authorization as string).searchParams.get('state') as string;

    const foreign = [
      `${SCHEME}/other?state=${state}&code=x`,
      `com.example.evil:/callback?state=${state}&code=x`,
      `${SCHEME}//callback?state=${state}&code=x`,
      `${PRIVATE_USE_REDIRECT}?code=x`,
      `${PRIVATE_USE_REDIRECT}?state=${state}`,
    ];
    for (const link of foreign) expect(await page.evaluate((url) => (window as any).app.isCallback(url), link), link).toBe(false);

    // A link the app should not have passed on, passed on anyway, with a state nobody issued.
    const forged = await page.evaluate((url) => (window as any).app.handle(url), `${PRIVATE_USE_REDIRECT}?state=forged&code=x`);
    expect(forged).toMatchObject({ ok: false, name: 'ProtocolError', code: 'state_mismatch', isAuthError: true });
    expect(await page.evaluate(() => (window as any).app.client.state.status)).toBe('anonymous');

    await signInAtProvider(systemBrowser, authorization as string);
    const result = await page.evaluate((url) => (window as any).app.handle(url), await deepLinks.next());
    expect(result).toMatchObject({ ok: true, kind: 'login', sub: 'ada' });
  });

  test('a response at another path of the scheme is not the answer to this login: refused, nothing stored', async ({ page, stack }) => {
    await openApp(page, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    await page.evaluate(() => (window as any).app.login());
    const [authorization] = await openedUrls(page);
    const state = new URL(authorization as string).searchParams.get('state') as string;
    // handleCallback() is told it is a callback: the redirect URI decides, not the caller.
    const outcome = await page.evaluate(
      (url) => (window as any).app.client.handleCallback(url).then(() => 'accepted', (e: any) => `${e.name}:${e.code}`),
      `${SCHEME}/other?state=${state}&code=x`,
    );
    expect(outcome).toBe('ProtocolError:invalid_callback');
    expect(await page.evaluate(() => Object.keys(localStorage).some((key) => key.endsWith(':session')))).toBe(false);
  });

  test('signs out through the system browser: the logout return arrives as a deep link and is reported as a logout', async ({ page, stack, systemBrowser, deepLinks }) => {
    await openApp(page, stack, PRIVATE_USE_REDIRECT, PRIVATE_USE_LOGOUT);
    await page.evaluate(() => (window as any).app.login());
    await signInAtProvider(systemBrowser, (await openedUrls(page))[0] as string);
    await page.evaluate((url) => (window as any).app.handle(url), await deepLinks.next());

    expect(await page.evaluate(() => (window as any).app.logout())).toEqual({ ok: true });
    // Signed out locally at once, before the provider is reached.
    expect(await page.evaluate(() => (window as any).app.client.state.status)).toBe('anonymous');
    const endSession = (await openedUrls(page))[1] as string;
    expect(new URL(endSession).searchParams.get('post_logout_redirect_uri')).toBe(PRIVATE_USE_LOGOUT);
    await systemBrowser.goto(endSession);
    await systemBrowser.click('button[name=logout]');
    const link = await deepLinks.next();
    expect(link.startsWith(`${PRIVATE_USE_LOGOUT}?state=`)).toBe(true);
    expect(await page.evaluate((url) => (window as any).app.isCallback(url), link)).toBe(false);
    expect(await page.evaluate((url) => (window as any).app.handle(url), link)).toEqual({ ok: true, kind: 'logout' });
    // The same return again is an ordinary link.
    expect(await page.evaluate((url) => (window as any).app.handle(url + '&again'), link)).toEqual({ ok: true, kind: 'none' });
  });
});

test.describe('a claimed https URL (universal link, app link)', () => {
  test('signs in: the provider redirects to a route on the app host, the app receives that URL', async ({ page, stack, systemBrowser }) => {
    const redirect = stack.app.origin + CLAIMED_PATH;
    await openApp(page, stack, redirect, stack.app.origin + CLAIMED_LOGOUT_PATH);
    await page.evaluate(() => (window as any).app.login());
    const [authorization] = await openedUrls(page);
    expect(new URL(authorization as string).searchParams.get('redirect_uri')).toBe(redirect);

    // The system browser arrives at the claimed URL; the operating system would open the app with it.
    await Promise.all([systemBrowser.waitForURL((url) => url.href.startsWith(redirect)), signInAtProvider(systemBrowser, authorization as string)]);
    const link = systemBrowser.url();
    expect(await page.evaluate((url) => (window as any).app.isCallback(url), link)).toBe(true);
    expect(await page.evaluate((url) => (window as any).app.handle(url), link)).toMatchObject({ ok: true, kind: 'login', sub: 'ada' });
    // Another path on the same host is not the callback.
    expect(await page.evaluate((url) => (window as any).app.isCallback(url), link.replace(CLAIMED_PATH, '/native/claimed/other'))).toBe(false);
  });
});
