// WebKit: test/e2e/bfcache.spec.ts. A page restored from the back-forward cache runs no script on
// load, so the SDK must notice a logout elsewhere on `pageshow` (persisted: true).
import { eventsOf, logoutFrom, openTab, signIn, storedSession, waitForHarness, waitForStatus } from './harness.js';
import { expect, test } from './fixtures.js';

test.describe('WebKit, back-forward cache', () => {
  test('a tab restored from the back-forward cache after a logout elsewhere is anonymous', async ({ tab, stack }) => {
    await signIn(tab, stack, 'esm');
    const other = await openTab(tab, stack, 'esm');
    await waitForStatus(other, 'authenticated');
    await other.goto(`${stack.app.origin}/test/plain.html`);

    await logoutFrom(tab, stack);
    // WebDriver's Back. Not history.back() from a script: the next script can land in the page that
    // is just entering the cache, and then never returns (3 runs in 12 here). Firefox's Back is the
    // other way round: it never returns on a restore.
    await other.back();
    await waitForHarness(other);
    expect(await eventsOf(other)).toContainEqual({ type: 'pageshow', persisted: true });
    await waitForStatus(other, 'anonymous');
    expect(await storedSession(other)).toBeNull();
  });
});
