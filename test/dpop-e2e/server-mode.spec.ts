// authFetch in session-server mode: the page holds no token of its own; authFetch takes one from the
// session server's token route for each call (cached while fresh) and sends it as Bearer.
import { startResourceServer } from '../support/resource-server.mjs';
import { expect, test } from './fixtures.js';

test('authFetch with a session-server-mode client sends the server-issued token as Bearer', async ({ page, world }) => {
  const rs = await startResourceServer({ provider: world.stack.provider.provider, issuer: world.stack.provider.issuer, allowOrigin: world.stack.app.origin, acceptBearer: true });
  try {
    await page.goto(world.stack.app.origin + '/dpop/server-mode.html');
    await page.waitForFunction(() => (window as any).ready === true);
    expect(await page.evaluate((url) => (window as any).callApi(url), rs.origin + '/api/me')).toMatchObject({ ok: false, name: 'LoginRequiredError' });
    await page.evaluate(() => void (window as any).client.login({ params: { prompt: 'login' } }));
    await page.waitForSelector('input[name=login]');
    await page.fill('input[name=login]', 'grace');
    await page.click('button.primary');
    await page.waitForURL((url) => url.pathname === '/dpop/server-mode.html');
    await page.waitForFunction(() => (window as any).ready === true && (window as any).client.state.status === 'authenticated');
    const results = await page.evaluate(async (url) => [await (window as any).callApi(url), await (window as any).callApi(url)], rs.origin + '/api/me');
    expect(results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
    expect(JSON.parse(results[0].body)).toMatchObject({ sub: 'grace', scheme: 'Bearer' });
    const hits = rs.log.filter((e) => e.method === 'GET');
    // The second call reused the cached token: one token from the server for both.
    expect(new Set(hits.map((e) => e.token)).size).toBe(1);
    expect(hits.every((e) => e.proof === undefined)).toBe(true);
  } finally {
    await rs.close();
  }
});
