// WebKit: the stuck-lock case of test/e2e/refresh-race.spec.ts. A tab that holds the refresh lock and
// never lets go (frozen, or stuck in a task) must not hold up another tab's refresh for longer than
// the lock timeout, after which the lock is stolen.
import { freshUntil, setHarnessOptions, signIn } from './harness.js';
import { expect, test } from './fixtures.js';
import { sleepUntil } from './with-timeout.js';

const TTL = 6;
test.use({ accessTokenTtl: TTL });

test.describe('WebKit, refresh lock', () => {
  test('a refresh lock held forever by a stuck tab delays the refresh no longer than the lock timeout', async ({ tab, webkit, stack }) => {
    // requestTimeoutSeconds 1 gives a 2 s lock timeout.
    await setHarnessOptions(tab, stack, { requestTimeoutSeconds: 1 });
    const lockName = `oidc-session:v1:${stack.provider.clientId}:refresh`;
    // The stuck tab first, a page of the same origin: Web Locks are per origin. After this the test
    // stays in the signed-in tab: a switch to it would fire `focus`, and the SDK renews a stale
    // token on focus, before the measured call.
    const stuck = await webkit.newTab();
    await stuck.goto(`${stack.app.origin}/test/plain.html`);
    await stuck.evaluate((name: string) => {
      void navigator.locks.request(name, () => new Promise(() => undefined)).catch(() => undefined);
    }, lockName);

    await signIn(tab, stack, 'esm');
    const held = await tab.evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name));
    expect(held).toContain(lockName);

    await sleepUntil((await freshUntil(tab, TTL)) + 30);
    const before = stack.provider.count('token', 'refresh_token');
    const { ms, token } = await tab.evaluate(async () => {
      const started = performance.now();
      const token: string = await (window as any).client.getAccessToken();
      return { ms: performance.now() - started, token };
    });
    expect(token).toMatch(/\S/);
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(3500);
    expect(stack.provider.count('token', 'refresh_token')).toBe(before + 1);
  });
});
