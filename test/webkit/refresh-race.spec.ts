// WebKit: the refresh races of test/e2e/refresh-race.spec.ts (Web Locks decide which tab refreshes).
//
// WebKit-specific care: WebKitWebDriver's Switch To Window fires `focus` in the tab it switches to,
// and the SDK renews a stale token on focus. So no tab is switched to between the moment the token
// falls due and the callers' instant: every step that talks to a tab happens while the token is fresh.
import { freshUntil, openTab, setHarnessOptions, signIn, stateOf, waitForStatus } from './harness.js';
import { expect, test } from './fixtures.js';
import type { WebKitTab } from './webkit-browser.js';
import { sleepUntil } from './with-timeout.js';
import { expectOneTokenForAllCallers } from '../support/race-checks.js';

const CYCLES = 5;

/**
 * Schedules 20 getAccessToken() calls in the tab at `instant` (epoch ms) and returns at once: WebDriver
 * runs one script at a time per session, so every tab's callers are scheduled first and collected after.
 */
function scheduleCallers(tab: WebKitTab, instant: number): Promise<void> {
  return tab.evaluate((at: number) => {
    const w = window as any;
    w.raceResult = undefined;
    setTimeout(() => {
      w.raceStartedAt = Date.now();
      void Promise.all(Array.from({ length: 20 }, () => w.client.getAccessToken().catch((e: any) => `ERR ${e.code} ${e.message}`))).then(
        (tokens) => (w.raceResult = tokens),
      );
    }, at - Date.now());
  }, instant);
}

/** The 20 callers' results and when they started (epoch ms). */
function collectCallers(tab: WebKitTab): Promise<{ tokens: string[]; startedAt: number }> {
  return tab.waitFor('20 callers to settle', 10_000, () => {
    const w = window as any;
    return w.raceResult && { tokens: w.raceResult as string[], startedAt: w.raceStartedAt as number };
  });
}

/** Waits until every tab holds the first tab's session (the same expiry: one token). */
async function sameSessionEverywhere(tabs: WebKitTab[]): Promise<void> {
  const [first, ...rest] = tabs as [WebKitTab, ...WebKitTab[]];
  const { expiresAt } = await stateOf(first);
  for (const t of rest) {
    await t.waitFor('the tab to adopt the renewed session', 5000, (expected: number) => (window as any).client.state.expiresAt === expected, expiresAt as number);
  }
}

// Short-lived access tokens (due for renewal after 2 s) so that several expiries fit in one test, with
// time for the WebDriver round trips before each falls due even on a loaded machine.
const TTL = 4;
test.use({ accessTokenTtl: TTL });

test.describe('WebKit, refresh races', () => {
  for (const storage of ['session', 'indexeddb'] as const) {
    test(`2 tabs × 20 callers at the same instant make one token request per expiry, ${CYCLES} times (${storage})`, async ({ tab, stack }) => {
      await setHarnessOptions(tab, stack, { storage });
      await signIn(tab, stack, 'esm');
      const tabs = [tab, await openTab(tab, stack, 'cdn')];
      await Promise.all(tabs.map((t) => waitForStatus(t, 'authenticated')));
      // Setup may have outlived the first token's freshness (and a focus renewed it): start each
      // cycle from a token just renewed, that both tabs hold.
      await tab.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }));
      await sameSessionEverywhere(tabs);
      const revokedBefore = stack.provider.revokedGrants.length;
      let refreshes = stack.provider.count('token', 'refresh_token');

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const dueAt = Math.max(...(await Promise.all(tabs.map((t) => freshUntil(t, TTL)))));
        const at = dueAt + 30;
        for (const t of tabs) await scheduleCallers(t, at);
        expect(Date.now(), `cycle ${cycle}: callers scheduled while the token was still fresh`).toBeLessThan(dueAt);
        await sleepUntil(at - 10);
        expect(stack.provider.count('token', 'refresh_token'), `cycle ${cycle}: no token request before the callers`).toBe(refreshes);
        await sleepUntil(at + 20);
        const results = await Promise.all(tabs.map(collectCallers));
        // A hidden tab's timers may run late; the tabs must still have raced (a refresh takes longer).
        const starts = results.map((r) => r.startedAt);
        expect(Math.max(...starts) - Math.min(...starts), `cycle ${cycle}: tabs started together`).toBeLessThan(200);
        const tokens = results.flatMap((r) => r.tokens);
        expectOneTokenForAllCallers(tokens, 40, cycle);
        const now = stack.provider.count('token', 'refresh_token');
        expect(now - refreshes, `cycle ${cycle}: token requests`).toBe(1);
        refreshes = now;
      }

      expect(stack.provider.revokedGrants.length).toBe(revokedBefore);
      for (const t of tabs) {
        expect((await stateOf(t)).status).toBe('authenticated');
        expect(await t.evaluate(() => (window as any).events.filter((e: any) => e.type === 'logout'))).toEqual([]);
      }
    });
  }
});
