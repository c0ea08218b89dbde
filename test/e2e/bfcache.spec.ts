import {
  expect,
  openTab,
  signIn,
  storedSession,
  logoutFrom,
  test,
  waitForStatus,
} from './fixtures.js';
import { chromiumLaunchOptions } from './chromium.js';

// Playwright turns the back-forward cache off by default; this test needs it.
test.use({ launchOptions: { ...chromiumLaunchOptions, ignoreDefaultArgs: ['--disable-back-forward-cache'] } });

test('a tab restored from the back-forward cache after a logout elsewhere is anonymous', async ({ page, context, stack }) => {
  await signIn(page, stack, 'esm');
  const other = await openTab(context, stack, 'esm');
  await waitForStatus(other, 'authenticated');
  await other.goto(`${stack.app.origin}/test/plain.html`);

  await logoutFrom(page, stack);
  // A page restored from the cache fires no load event: wait for the commit only.
  await other.goBack({ waitUntil: 'commit' });
  await other.waitForFunction(() => (window as any).harnessReady === true);
  const events = await other.evaluate(() => (window as any).events);
  expect(events).toContainEqual({ type: 'pageshow', persisted: true });
  await waitForStatus(other, 'anonymous');
  expect(await storedSession(other)).toBeNull();
});
