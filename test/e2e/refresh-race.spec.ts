import {
  expect,
  openTab,
  setHarnessOptions,
  signIn,
  stateOf,
  test,
  waitForStatus,
} from './fixtures.js';
import { expectOneTokenForAllCallers } from '../support/race-checks.js';


// Short-lived access tokens so that many expiries fit in one test.
test.use({ accessTokenTtl: 2 });

for (const [storage, cycles] of [['session', 50], ['indexeddb', 15]] as const) {
  test(`3 tabs × 20 callers at the same instant make one token request per expiry, ${cycles} times (${storage})`, async ({ page, context, stack }) => {
    test.setTimeout(240_000);
    await setHarnessOptions(page, stack, { storage });
    await signIn(page, stack, 'esm');
    const tabs = [page, await openTab(context, stack, 'cdn'), await openTab(context, stack, 'esm')];
    await Promise.all(tabs.map((tab) => waitForStatus(tab, 'authenticated')));
    const revokedBefore = stack.provider.revokedGrants.length;
    let refreshes = stack.provider.count('token', 'refresh_token');

    for (let cycle = 0; cycle < cycles; cycle++) {
      // Wait until every tab's access token is due for renewal (half of its 2 s life).
      const expiresAt = Math.max(...(await Promise.all(tabs.map(async (tab) => (await stateOf(tab)).expiresAt as number))));
      await page.waitForTimeout(Math.max(0, expiresAt - 1000 - Date.now()) + 30);
      const at = Date.now() + 150;
      const results = await Promise.all(
        tabs.map((tab) =>
          tab.evaluate(async (instant) => {
            await new Promise((r) => setTimeout(r, instant - Date.now()));
            const client = (window as any).client;
            return Promise.all(Array.from({ length: 20 }, () => client.getAccessToken().catch((e: any) => `ERR ${e.code} ${e.message}`)));
          }, at),
        ),
      );
      const tokens = results.flat();
      expectOneTokenForAllCallers(tokens, 60, cycle);
      const now = stack.provider.count('token', 'refresh_token');
      expect(now - refreshes, `cycle ${cycle}: token requests`).toBe(1);
      refreshes = now;
    }

    expect(stack.provider.revokedGrants.length).toBe(revokedBefore);
    for (const tab of tabs) {
      expect((await stateOf(tab)).status).toBe('authenticated');
      expect(await tab.evaluate(() => (window as any).events.filter((e: any) => e.type === 'logout'))).toEqual([]);
    }
  });
}

test('a lock held forever by a frozen tab delays the refresh no longer than the lock timeout', async ({ page, context, stack }) => {
  // requestTimeoutSeconds 1 gives a 2 s lock timeout.
  await setHarnessOptions(page, stack, { requestTimeoutSeconds: 1 });
  await signIn(page, stack, 'esm');
  const frozen = await openTab(context, stack, 'cdn');
  await frozen.evaluate((name) => {
    void navigator.locks.request(name, () => new Promise(() => undefined)).catch(() => undefined);
  }, `oidc-session:v1:${stack.provider.clientId}:refresh`);
  const held = await page.evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name));
  expect(held).toContain(`oidc-session:v1:${stack.provider.clientId}:refresh`);

  const expiresAt = (await stateOf(page)).expiresAt as number;
  await page.waitForTimeout(Math.max(0, expiresAt - 1000 - Date.now()) + 30);
  const before = stack.provider.count('token', 'refresh_token');
  const { ms, token } = await page.evaluate(async () => {
    const started = performance.now();
    const token = await (window as any).client.getAccessToken();
    return { ms: performance.now() - started, token };
  });
  expect(token).toMatch(/\S/);
  expect(ms).toBeGreaterThanOrEqual(1900);
  expect(ms).toBeLessThan(3500);
  expect(stack.provider.count('token', 'refresh_token')).toBe(before + 1);
});

