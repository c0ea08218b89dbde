import type { Page } from '@playwright/test';
import {
  everythingStored,
  expect,
  openHarness,
  openTab,
  setHarnessOptions,
  signIn,
  stateOf,
  storedSession,
  logoutFrom,
  test,
  waitForStatus,
} from './fixtures.js';
import { anonymousAt, recordWhenAnonymous } from '../support/page-clock.js';

const tokenFree = (stored: string) => !/eyJ[\w-]+\.[\w-]+\./.test(stored);

test.describe('login, logout and new tabs', () => {
  test('a login in one tab signs the open tabs in; a logout in one signs every tab out within a second', async ({ page, context, stack }) => {
    const b = await openTab(context, stack, 'cdn');
    const c = await openTab(context, stack, 'esm');
    expect((await stateOf(b)).status).toBe('anonymous');

    await signIn(page, stack, 'esm', 'ada');
    await waitForStatus(b, 'authenticated');
    await waitForStatus(c, 'authenticated');
    expect((await stateOf(b)).user?.sub).toBe('ada');
    const remoteLogins = await b.evaluate(() => (window as any).events.filter((e: any) => e.type === 'login'));
    expect(remoteLogins).toEqual([expect.objectContaining({ remote: true })]);
    // The tabs share one session: same access token, from one code redemption.
    const tokens = await Promise.all([page, b, c].map((p) => p.evaluate(() => (window as any).client.getAccessToken())));
    expect(new Set(tokens).size).toBe(1);

    // Timed in the pages (one clock for every tab): from the logout() call to each tab's anonymous state.
    await Promise.all([page, c].map(recordWhenAnonymous));
    const leaving = logoutFrom(b, stack);
    await Promise.all([waitForStatus(page, 'anonymous'), waitForStatus(c, 'anonymous')]);
    const started = await leaving;
    for (const tab of [page, c]) expect(((await anonymousAt(tab)) as number) - started, 'propagation (ms)').toBeLessThan(1000);
    for (const tab of [page, c]) {
      expect(await storedSession(tab)).toBeNull();
      expect(tokenFree(await everythingStored(tab))).toBe(true);
      expect(await tab.evaluate(() => (window as any).events.filter((e: any) => e.type === 'logout'))).toEqual([
        expect.objectContaining({ reason: 'user', remote: true }),
      ]);
    }
  });

  test('with shareSessionAcrossTabs: false each tab keeps its own session, but a logout still ends them all', async ({ page, context, stack }) => {
    await setHarnessOptions(page, stack, { shareSessionAcrossTabs: false });
    const other = await openTab(context, stack, 'esm');
    await signIn(page, stack, 'esm', 'ada');
    const fresh = await openTab(context, stack, 'cdn');
    await page.waitForTimeout(500);
    expect((await stateOf(fresh)).status).toBe('anonymous');
    expect((await stateOf(other)).status).toBe('anonymous');
    expect(await storedSession(fresh)).toBeNull();

    // The provider remembers ada: ask it for the login form again.
    await signIn(other, stack, 'esm', 'bob', { prompt: 'login' });
    expect((await stateOf(page)).user?.sub).toBe('ada');
    expect((await stateOf(other)).user?.sub).toBe('bob');
    await Promise.all([waitForStatus(page, 'anonymous'), logoutFrom(other, stack)]);
    expect(await storedSession(page)).toBeNull();
  });

  test.describe('without BroadcastChannel', () => {
    test.beforeEach(async ({ context }) => {
      await context.addInitScript(() => {
        delete (window as any).BroadcastChannel;
      });
    });
    const wake = (tab: Page) => tab.evaluate(() => window.dispatchEvent(new Event('focus')));

    test('per-tab storage: a tab learns of a logout elsewhere from the beacon when it wakes', async ({ page, context, stack }) => {
      await signIn(page, stack, 'esm', 'ada');
      const other = await openTab(context, stack, 'cdn');
      expect(await other.evaluate(() => typeof (window as any).BroadcastChannel)).toBe('undefined');
      // No channel, so no sibling to adopt from: this tab signs in on its own.
      expect((await stateOf(other)).status).toBe('anonymous');
      await signIn(other, stack, 'cdn', 'ada', { prompt: 'login' });

      await logoutFrom(page, stack);
      // Nothing carries the news until the tab wakes...
      expect((await stateOf(other)).status).toBe('authenticated');
      await wake(other);
      // ...and then the beacon ends its session.
      await waitForStatus(other, 'anonymous');
      expect(await storedSession(other)).toBeNull();
      expect(tokenFree(await everythingStored(other))).toBe(true);
      expect(await other.evaluate(() => (window as any).events.filter((e: any) => e.type === 'logout'))).toEqual([
        expect.objectContaining({ reason: 'user', remote: true }),
      ]);
    });

    test('IndexedDB storage: a tab re-reads the shared session when it wakes', async ({ page, context, stack }) => {
      await setHarnessOptions(page, stack, { storage: 'indexeddb' });
      await signIn(page, stack, 'esm');
      const other = await openTab(context, stack, 'cdn');
      await waitForStatus(other, 'authenticated');
      await logoutFrom(page, stack);
      expect((await stateOf(other)).status).toBe('authenticated');
      await wake(other);
      await waitForStatus(other, 'anonymous');
      expect(tokenFree(await everythingStored(other))).toBe(true);
    });
  });

  test('forged messages from the channel are ignored', async ({ page, stack }) => {
    await signIn(page, stack, 'esm');
    const result = await page.evaluate(async ({ issuer, clientId }) => {
      const channel = new BroadcastChannel(`oidc-session:v1:${issuer}/:${clientId}`);
      channel.postMessage({ v: 1, from: 'evil', type: 'session', record: JSON.stringify({ v: 1, issuer: 'https://evil.test/', clientId }) });
      channel.postMessage({ v: 1, from: 'evil', type: 'logout', reason: 'nope', at: Date.now() });
      channel.postMessage({ v: 1, from: 'evil', type: 'session', record: '{' });
      await new Promise((r) => setTimeout(r, 200));
      channel.close();
      return (window as any).client.state.status;
    }, { issuer: stack.provider.issuer, clientId: stack.provider.clientId });
    expect(result).toBe('authenticated');
  });
});

test.describe('renewal without a getAccessToken() call', () => {
  for (const event of ['online', 'focus', 'visibilitychange'] as const) {
    test(`a stale token is renewed when the page fires "${event}"`, async ({ page, stack }) => {
      await signIn(page, stack, 'esm');
      const { expiresAt } = await stateOf(page);
      // Due at half of the 6 s lifetime; wait a little past it.
      await page.waitForTimeout(Math.max(0, (expiresAt as number) - 3000 - Date.now()) + 200);
      const before = stack.provider.count('token', 'refresh_token');
      await page.evaluate((type) => (type === 'visibilitychange' ? document : window).dispatchEvent(new Event(type)), event);
      await expect.poll(() => stack.provider.count('token', 'refresh_token')).toBe(before + 1);
      await expect.poll(async () => (await stateOf(page)).expiresAt).toBeGreaterThan(expiresAt as number);
    });
  }

  test('autoRefresh renews in the background when the token falls due', async ({ page, stack }) => {
    await setHarnessOptions(page, stack, { autoRefresh: true });
    await signIn(page, stack, 'esm');
    const { expiresAt } = await stateOf(page);
    const signedInAt = Date.now();
    const before = stack.provider.count('token', 'refresh_token');
    await expect.poll(() => stack.provider.count('token', 'refresh_token'), { timeout: 8000, intervals: [50] }).toBe(before + 1);
    // Renewed when due (half of the 6 s lifetime), not at once and not at expiry.
    const elapsed = Date.now() - signedInAt;
    expect(elapsed).toBeGreaterThan(2000);
    expect(elapsed).toBeLessThan(5500);
    const after = await stateOf(page);
    expect(after.status).toBe('authenticated');
    expect(after.expiresAt).toBeGreaterThan(expiresAt as number);
    const events = await page.evaluate(() => (window as any).events.filter((e: any) => e.type === 'refresh'));
    expect(events).toHaveLength(1);
  });
});
