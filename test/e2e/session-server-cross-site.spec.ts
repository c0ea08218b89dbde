// The session cookie is SameSite=Strict (draft-ietf-oauth-browser-based-apps §6.1 BFF; OWASP Session
// Management Cheat Sheet), with the provider on ANOTHER site than the app, as in production: the app
// on 127.0.0.1, the provider on localhost. (The other e2e files run both on localhost, one site, where
// Strict and Lax cannot be told apart.)
//
// Why the callback ends in a same-origin landing page instead of a 303: in Chromium and Firefox, every
// hop of a redirect chain that another site started stays cross-site, so a Strict cookie set by the callback is
// NOT sent on the 303's next request. The first test pins that browser behaviour with two bare servers;
// the second shows the session server's design carrying the cookie on the very first page after login.
import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { startStack } from '../../demo/stack.mjs';

test('a Strict cookie set in a cross-site-initiated redirect chain is missing on the next hop; a same-origin refresh carries it', async ({ page }) => {
  const seen: Record<string, string> = {};
  const app = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/landing/')) seen[url.pathname] = req.headers.cookie ?? '';
    const cookie = `__Host-probe=${url.searchParams.get('hop')}; Path=/; HttpOnly; Secure; SameSite=Strict`;
    if (url.searchParams.get('hop') === 'redirect') return void res.writeHead(303, { location: '/landing/redirect', 'set-cookie': cookie }).end();
    if (url.searchParams.get('hop') === 'refresh') {
      return void res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': cookie }).end('<meta http-equiv="refresh" content="0;url=/landing/refresh">');
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('landed');
  });
  const appOrigin = `http://127.0.0.1:${await listen(app, '127.0.0.1')}`;
  const other = createServer((req, res) => {
    const hop = new URL(req.url ?? '/', 'http://x').searchParams.get('hop');
    if (req.method === 'POST') return void res.writeHead(303, { location: `${appOrigin}/callback?hop=${hop}` }).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<form method="post" action="/?hop=${hop}"><button>go</button></form>`);
  });
  const otherOrigin = `http://localhost:${await listen(other, 'localhost')}`;
  try {
    for (const hop of ['redirect', 'refresh']) {
      await page.goto(`${otherOrigin}/?hop=${hop}`);
      await Promise.all([page.waitForURL(`${appOrigin}/landing/${hop}`), page.click('button')]);
      await page.context().clearCookies();
    }
    expect(seen['/landing/redirect'], 'after a 303 in the cross-site chain').toBe('');
    expect(seen['/landing/refresh'], 'after a same-origin refresh').toBe('__Host-probe=refresh');
  } finally {
    app.close();
    other.close();
  }
});

test.describe('session server on another site than the provider', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  test.beforeAll(async () => {
    stack = await startStack({ appHost: '127.0.0.1' });
    expect(new URL(stack.app.origin).hostname).not.toBe(new URL(stack.provider.issuer).hostname);
  });
  test.afterAll(() => stack?.close());

  test('the Strict session cookie comes along on the first page after login and on its reload', async ({ page }) => {
    // A server-rendered page behind sessionMiddleware: /api/me answers 401 without the cookie.
    await page.goto(`${stack.app.origin}/auth/login?returnTo=${encodeURIComponent('/api/me')}`);
    await page.waitForURL((url) => url.origin === stack.provider.issuer);
    await page.fill('input[name=login]', 'ada');
    const first = page.waitForResponse((response) => response.url() === `${stack.app.origin}/api/me`);
    await page.click('button.primary');
    expect((await first).status(), 'first page after login').toBe(200);
    await expect(page.locator('body')).toContainText('"sub":"ada"');
    // The callback (code and state in its URL) is not left as the Referer of the landing request.
    expect(await (await first).request().headerValue('referer')).toBeNull();

    const session = (await page.context().cookies(stack.app.origin)).find((c) => c.name === '__Host-oidc-session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    const pending = await page.context().cookies(stack.app.origin);
    expect(pending.filter((c) => c.name.includes('.login.'))).toEqual([]);

    const reload = await page.reload();
    expect(reload?.status(), 'reload').toBe(200);
    expect(page.url()).toBe(`${stack.app.origin}/api/me`);
  });

  test('a cross-site navigation to the app does not carry the session (what Strict is for); the app page\'s own requests do', async ({ page }) => {
    await page.goto(`${stack.app.origin}/auth/login?returnTo=${encodeURIComponent('/api/me')}`);
    await page.fill('input[name=login]', 'grace');
    await Promise.all([page.waitForURL(`${stack.app.origin}/api/me`), page.click('button.primary')]);
    // A link on another site (the provider's page stands in for one) to the app's API route.
    await page.goto(`${stack.provider.issuer}/.well-known/openid-configuration`);
    await page.evaluate((target) => {
      const a = document.createElement('a');
      a.href = target;
      a.textContent = 'to the app';
      document.body.append(a);
    }, `${stack.app.origin}/api/me`);
    const crossSite = page.waitForResponse((response) => response.url() === `${stack.app.origin}/api/me`);
    await page.click('text=to the app');
    expect((await crossSite).status(), 'cross-site top-level navigation').toBe(401);
    // The page's own same-origin request carries it.
    expect(await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(200);
  });
});

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}
