// oidc-session/dpop against oidc-provider demanding DPoP nonces at its token endpoint (RFC 9449 §8).
import { expect, setOptions, signIn, test } from './fixtures.js';

test.use({ providerNonce: true });

test.describe('DPoP with the provider demanding nonces', () => {
  test('DP-01: the code exchange answers the nonce challenge once; the refresh reuses the nonce', async ({ page, world }) => {
    await setOptions(page, world, {});
    expect(await signIn(page, world)).toMatchObject({ ok: true });
    const exchanges = world.stack.provider.requests.filter((r) => r.route === 'token');
    expect(exchanges.map((r) => r.status)).toEqual([400, 200]);
    await page.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }));
    const all = world.stack.provider.requests.filter((r) => r.route === 'token');
    expect(all.map((r) => r.status)).toEqual([400, 200, 200]);
  });
});
