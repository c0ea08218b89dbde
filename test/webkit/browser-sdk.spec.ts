// WebKit (MiniBrowser over WebKitWebDriver): sign-in and reload from test/e2e/browser-sdk.spec.ts.
import { BUILDS, type Build } from '../e2e/fixtures.js';
import { eventsOf, freshUntil, signIn, stateOf, storedSession, waitForHarness } from './harness.js';
import { expect, test } from './fixtures.js';

// Tokens that stay fresh for the whole test: a renewal would be a provider request the reload did not cause.
const TTL = 60;
test.use({ accessTokenTtl: TTL });

for (const build of Object.keys(BUILDS) as Build[]) {
  test.describe(`WebKit, ${build} build`, () => {
    test('signs in through the provider login form and cleans the address bar', async ({ tab, stack }) => {
      const result = await signIn(tab, stack, build, 'ada');
      expect(result).toEqual({ ok: true, sub: 'ada', returnTo: BUILDS[build] });
      const url = new URL(await tab.url());
      expect([...url.searchParams.keys()]).toEqual([]);
      expect(url.hash).toBe('');
      const state = await stateOf(tab);
      expect(state.status).toBe('authenticated');
      expect(state.user).toMatchObject({ sub: 'ada', name: 'Ada', email: 'ada@example.com', iss: stack.provider.issuer });
      expect(state.expiresAt).toBeGreaterThan(Date.now());
      const sequence = (await eventsOf(tab)).filter((e) => e.type !== 'pageshow').map((e) => e.status ?? e.type);
      // The callback page says 'loading' until the code is redeemed: never 'anonymous' on the way.
      expect(sequence).toEqual(['loading', 'authenticated', 'login']);
      expect(await storedSession(tab)).toMatchObject({ v: 1, claims: { sub: 'ada' } });
      expect(stack.provider.count('token', 'authorization_code')).toBeGreaterThanOrEqual(1);
    });

    test('a reload with a live session is authenticated without any request to the provider', async ({ tab, stack }) => {
      await signIn(tab, stack, build);
      const fresh = await freshUntil(tab, TTL);
      const before = stack.provider.requests.length;
      await tab.reload();
      await waitForHarness(tab);
      expect((await stateOf(tab)).status).toBe('authenticated');
      expect(await tab.evaluate(async () => (await (window as any).client.getUser()).sub)).toBe('ada');
      expect(Date.now(), 'reloaded while the token was fresh').toBeLessThan(fresh);
      expect(stack.provider.requests.slice(before), 'provider requests').toEqual([]);
    });
  });
}
