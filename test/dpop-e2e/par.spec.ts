// oidc-session/par with DPoP against oidc-provider requiring pushed authorization requests: the push
// carries the proof, the browser goes to the provider with only client_id and request_uri, and a
// request_uri is good for one login only (RFC 9126 §4, §7.3).
import { expect, openApp, setOptions, signIn, test } from './fixtures.js';

test.use({ providerPar: 'client' });

test.describe('PAR with DPoP', () => {
  test('pushes every parameter with a proof; the browser carries only client_id and request_uri', async ({ page, world }) => {
    await setOptions(page, world, { par: 'always' });
    const authorizations: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === world.stack.provider.issuer && url.pathname === '/auth') authorizations.push(url);
    });
    world.pushes.length = 0;
    expect(await signIn(page, world)).toMatchObject({ ok: true, sub: 'ada' });
    expect([...(authorizations[0]?.searchParams.keys() ?? [])].sort()).toEqual(['client_id', 'request_uri']);
    // The push carried the proof and every authorization parameter, dpop_jkt included.
    expect(world.pushes).toHaveLength(1);
    expect(world.pushes[0]?.dpop).toMatch(/^eyJ/);
    for (const name of ['state', 'nonce', 'code_challenge', 'redirect_uri', 'scope', 'response_type', 'dpop_jkt', 'client_id']) expect(world.pushes[0]?.params[name], name).toEqual(expect.any(String));
    const pushes = world.stack.provider.requests.filter((r) => r.route === 'pushed_authorization_request');
    expect(pushes.map((r) => r.status)).toEqual([201]);
    const me = await page.evaluate((url) => (window as any).callApi(url), world.rs.origin + '/api/me');
    expect(me.status).toBe(200);
  });

  test('a request_uri used once is refused the second time', async ({ page, world }) => {
    await setOptions(page, world, { par: 'always' });
    await openApp(page, world);
    let first: string | undefined;
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === world.stack.provider.issuer && url.pathname === '/auth') first ??= url.href;
    });
    expect(await signIn(page, world)).toMatchObject({ ok: true });
    // The same authorization URL again (a replayed link): the provider refuses the spent request_uri.
    await page.goto(first as string);
    await expect(page.locator('body')).toContainText(/invalid_request_uri|request_uri/i);
  });
});
