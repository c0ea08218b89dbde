// WebKit: the cross-tab flows of test/e2e/multi-tab.spec.ts and storage-modes.spec.ts (BroadcastChannel,
// Web Locks and IndexedDB as WebKit implements them).
import {
  everythingStored,
  eventsOf,
  firstAfter,
  freshUntil,
  logoutFrom,
  openHarness,
  openTab,
  recordTimeline,
  setHarnessOptions,
  signIn,
  stateOf,
  storedSession,
  tokenFree,
  waitForStatus,
} from './harness.js';
import { sleepUntil } from './with-timeout.js';
import { expect, test } from './fixtures.js';

// Tokens that stay fresh for the whole test: no renewal mixes with the requests (none) a test counts.
const TTL = 60;
test.use({ accessTokenTtl: TTL });

test.describe('WebKit, tabs', () => {
  test('a login in one tab signs the open tabs in; a logout in one signs every tab out within a second, leaving no token', async ({ tab, stack }) => {
    const b = await openTab(tab, stack, 'cdn');
    const c = await openTab(tab, stack, 'esm');
    expect((await stateOf(b)).status).toBe('anonymous');
    for (const t of [b, c]) await recordTimeline(t);

    const loginStarted = Date.now();
    await signIn(tab, stack, 'esm', 'ada');
    for (const t of [b, c]) {
      // Signed in by the channel's message, not by the re-check that a focus (a tab switch) starts.
      const { reachedAt, focusAt } = await firstAfter(t, 'authenticated', loginStarted);
      expect(reachedAt, 'signed in before the test switched to the tab').toBeLessThan(focusAt ?? Infinity);
    }
    expect((await stateOf(b)).user?.sub).toBe('ada');
    expect((await eventsOf(b)).filter((e) => e.type === 'login')).toEqual([expect.objectContaining({ remote: true })]);
    // One session for all: the same access token, from one code redemption.
    const tokens = await Promise.all([tab, b, c].map((t) => t.evaluate(() => (window as any).client.getAccessToken() as Promise<string>)));
    expect(new Set(tokens).size).toBe(1);

    for (const t of [tab, c]) await recordTimeline(t);
    const started = Date.now();
    await logoutFrom(b, stack);
    // Not a look at the other tabs before a second has passed: a switch would focus them, and a focus re-checks.
    await sleepUntil(started + 1000);
    for (const t of [tab, c]) {
      const { reachedAt, focusAt } = await firstAfter(t, 'anonymous', started);
      expect(reachedAt, 'signed out within a second').toBeLessThan(started + 1000);
      expect(reachedAt, 'signed out before the test switched to the tab').toBeLessThan(focusAt ?? Infinity);
      expect(await storedSession(t)).toBeNull();
      expect(tokenFree(await everythingStored(t))).toBe(true);
      expect((await eventsOf(t)).filter((e) => e.type === 'logout')).toEqual([expect.objectContaining({ reason: 'user', remote: true })]);
    }
  });

  test('a tab opened after login adopts the session from its siblings, with no provider request', async ({ tab, stack }) => {
    await signIn(tab, stack, 'esm');
    const freshTill = await freshUntil(tab, TTL);
    const before = stack.provider.requests.length;
    const opened = await openTab(tab, stack, 'cdn');
    await waitForStatus(opened, 'authenticated');
    expect(await storedSession(opened)).toMatchObject({ claims: { sub: 'ada' } });
    expect(Date.now(), 'adopted while the token was fresh').toBeLessThan(freshTill);
    expect(stack.provider.requests.slice(before), 'provider requests').toEqual([]);
    // Every state the app could have rendered: never "anonymous" on the way.
    const states = (await eventsOf(opened)).filter((e) => e.type === 'state').map((e) => e.status);
    expect(states).toEqual(['loading', 'authenticated']);
  });

  test('IndexedDB mode: the session survives closing the tabs; a reopened tab is authenticated with no provider request', async ({ tab, webkit, stack }) => {
    await setHarnessOptions(tab, stack, { storage: 'indexeddb' });
    await signIn(tab, stack, 'esm');
    expect(await tab.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith(':session')))).toEqual([]);
    expect(await everythingStored(tab)).toContain('idb:oidc-session');
    const second = await openTab(tab, stack, 'cdn');
    await waitForStatus(second, 'authenticated');
    const dueAt = await freshUntil(tab, TTL);
    // Closing the last window would end the WebDriver session: a blank tab (no origin, no SDK) keeps it.
    const blank = await webkit.newTab();
    await webkit.close(tab);
    await webkit.close(second);
    const before = stack.provider.requests.length;
    const reopened = await webkit.newTab();
    await openHarness(reopened, stack, 'esm');
    await waitForStatus(reopened, 'authenticated');
    expect(await reopened.evaluate(async () => (await (window as any).client.getUser()).sub)).toBe('ada');
    expect(Date.now(), 'reopened while the token was fresh').toBeLessThan(dueAt);
    expect(stack.provider.requests.slice(before), 'provider requests').toEqual([]);
    expect(await blank.url()).toBe('about:blank');
  });
});
