import {
  expect,
  openTab,
  signIn,
  storedSession,
  logoutFrom,
  test,
  waitForStatus,
} from './fixtures.js';
import { goBack } from '../support/history.js';

// Playwright turns Chromium's back-forward cache off by default; this test needs it. (Firefox keeps its
// own on, and this project's launch options must not reach Firefox.)
test.use({
  launchOptions: [
    async ({ launchOptions, browserName }, use) =>
      use(browserName === 'chromium' ? { ...launchOptions, ignoreDefaultArgs: ['--disable-back-forward-cache'] } : launchOptions),
    { scope: 'worker' },
  ],
});

test('a tab restored from the back-forward cache after a logout elsewhere is anonymous', async ({ page, context, stack }) => {
  await signIn(page, stack, 'esm');
  const other = await openTab(context, stack, 'esm');
  await waitForStatus(other, 'authenticated');
  await other.goto(`${stack.app.origin}/test/plain.html`);

  await logoutFrom(page, stack);
  await goBack(other, 'harnessReady');
  const events = await other.evaluate(() => (window as any).events);
  expect(events).toContainEqual({ type: 'pageshow', persisted: true });
  await waitForStatus(other, 'anonymous');
  expect(await storedSession(other)).toBeNull();
});
