import { BUILDS, expect, logoutFrom, setHarnessOptions, signIn, test, type Build } from './fixtures.js';

// With the provider's discovery document given as `metadata`, a whole session (login, callback,
// refresh, logout) runs against the real provider without the browser ever fetching discovery.
for (const build of Object.keys(BUILDS) as Build[]) {
  test(`${build} build: the metadata option replaces discovery for a whole session`, async ({ page, stack }) => {
    const response = await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`);
    const metadata = (await response.json()) as Record<string, unknown>;
    await setHarnessOptions(page, stack, { metadata });
    const discovery: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/.well-known/')) discovery.push(request.url());
    });

    const result = await signIn(page, stack, build, 'grace');
    expect(result).toMatchObject({ ok: true, sub: 'grace' });
    const refreshes = stack.provider.count('token', 'refresh_token');
    await page.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }));
    expect(stack.provider.count('token', 'refresh_token')).toBe(refreshes + 1);
    const endSessions = stack.provider.count('end_session');
    await logoutFrom(page, stack);
    expect(stack.provider.count('end_session')).toBe(endSessions + 1);

    expect(discovery).toEqual([]);
  });
}
