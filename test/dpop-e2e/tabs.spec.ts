// DPoP across tabs: one key per session, shared through IndexedDB, and one refresh for all tabs when
// the access token expires (the cross-tab refresh lock is the same with DPoP on).
import { expect, openTab, setOptions, signIn, test } from './fixtures.js';

test.use({ accessTokenTtl: 6 });

test.describe('DPoP in three tabs', () => {
  test('three tabs share one key and spend one refresh when the token expires', async ({ page, context, world }) => {
    await setOptions(page, world, {});
    await signIn(page, world);
    const tabs = [page, await openTab(context, world), await openTab(context, world)];
    const refreshesBefore = world.stack.provider.count('token', 'refresh_token');
    // Past the point where the 6 s token counts as expired (half its lifetime), every tab calls the API at once.
    await page.waitForTimeout(3500);
    const statuses = await Promise.all(tabs.map((tab) => tab.evaluate((url) => (window as any).callApi(url).then((r: { status: number }) => r.status), world.rs.origin + '/api/me')));
    expect(statuses).toEqual([200, 200, 200]);
    expect(world.stack.provider.count('token', 'refresh_token') - refreshesBefore).toBe(1);
    const tokens = await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as any).client.getAccessToken())));
    expect(new Set(tokens).size).toBe(1);
    const thumbprints = new Set(world.rs.log.filter((e) => e.status === 200).map((e) => JSON.stringify(e.proofHeader?.jwk)));
    expect(thumbprints.size).toBe(1);
  });
});
