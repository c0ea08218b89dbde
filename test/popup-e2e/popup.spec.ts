// oidc-session/popup in Chromium and Firefox against oidc-provider: the login completes in the opener
// while the popup closes; a blocked popup, a closed one, two at once, a provider whose pages send
// Cross-Origin-Opener-Policy, and callbacks forged by other windows.
import { chromium, firefox, type Browser } from '@playwright/test';
import { chromiumLaunchOptions } from '../browsers/chromium.js';
import { firefoxLaunchOptions } from '../browsers/firefox.js';
import {
  APP_PATH,
  CALLBACK_PATH,
  atLoginForm,
  authorizationStates,
  clickLogin,
  expect,
  openApp,
  outcome,
  signInInPopup,
  stateOf,
  test,
} from './fixtures.js';

/** What a popup login left in the app page's storage: nothing (its key lives in the popup's). */
const markers = (page: import('@playwright/test').Page) =>
  page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((key) => key.startsWith('oidc-session:popup:')));

test('a popup login signs the opener in, closes the popup and leaves the opener where it was', async ({ page, stack }) => {
  await openApp(page, stack);
  const before = page.url();
  const redemptions = stack.provider.count('token', 'authorization_code');
  const popup = await clickLogin(page);
  await signInInPopup(popup, stack, 'ada');
  expect(await outcome(page)).toEqual({ settled: true, ok: true, kind: 'login', sub: 'ada', returnTo: APP_PATH });
  expect(await stateOf(page)).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
  expect(popup.isClosed()).toBe(true);
  expect(page.url()).toBe(before);
  expect(await markers(page)).toEqual([]);
  // The opener redeemed the code, once; the popup's page only handed the URL over.
  expect(stack.provider.count('token', 'authorization_code')).toBe(redemptions + 1);
});

test('the user closing the popup rejects popup_closed and stores no session', async ({ page, stack }) => {
  await openApp(page, stack);
  const popup = await clickLogin(page);
  await atLoginForm(popup, stack);
  await popup.close();
  expect(await outcome(page)).toMatchObject({ ok: false, code: 'popup_closed', isAuthError: true });
  expect(await stateOf(page)).toMatchObject({ status: 'anonymous' });
  expect(await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.endsWith(':session')))).toEqual([]);
  expect(await markers(page)).toEqual([]);
});

test('two popups at once each complete with their own login', async ({ page, stack }) => {
  await openApp(page, stack);
  const first = await clickLogin(page);
  const second = await clickLogin(page);
  await Promise.all([atLoginForm(first, stack), atLoginForm(second, stack)]);
  await signInInPopup(second, stack, 'bob');
  expect(await outcome(page, 1)).toMatchObject({ ok: true, sub: 'bob' });
  expect(first.isClosed()).toBe(false);
  expect(await page.evaluate(() => (window as any).app.outcomes[0].settled)).toBe(false);
  await signInInPopup(first, stack, 'ada');
  expect(await outcome(page, 0)).toMatchObject({ ok: true, sub: 'ada' });
  expect(await stateOf(page)).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
  expect(await markers(page)).toEqual([]);
});

test('callbacks forged by another origin’s page, or by another window of this origin, are ignored', async ({ page, context, stack }) => {
  const states = authorizationStates(context, stack);
  await openApp(page, stack);
  const redemptions = stack.provider.count('token', 'authorization_code');
  const popup = await clickLogin(page);
  await atLoginForm(popup, stack);
  const state = states.at(-1) as string;
  // A well-formed response for the live login's state, with the attacker's code.
  const forged = new URLSearchParams({ code: 'forged-code', state, iss: stack.provider.issuer });
  const query = new URLSearchParams({ state, url: `${stack.app.origin}${CALLBACK_PATH}?${forged}` });
  const foreignOrigin = stack.app.origin.replace('//localhost:', '//127.0.0.1:');
  expect(foreignOrigin).not.toBe(stack.app.origin);
  const forgers = [`${foreignOrigin}/popup/forger.html?${query}&broadcast`, `${stack.app.origin}/popup/forger.html?${query}`];
  await page.evaluate(
    (sources) =>
      Promise.all(
        sources.map(
          (src) =>
            new Promise((resolve) => {
              const frame = Object.assign(document.createElement('iframe'), { src, onload: resolve });
              document.body.append(frame);
            }),
        ),
      ),
    forgers,
  );
  for (const frame of page.frames().slice(1)) expect(await frame.evaluate(() => (window as any).sent)).toBe(true);
  await page.waitForTimeout(500); // time for the messages to arrive and (were they taken) be redeemed
  expect(await page.evaluate(() => (window as any).app.outcomes[0].settled)).toBe(false);
  expect(popup.isClosed()).toBe(false);
  expect(stack.provider.count('token', 'authorization_code')).toBe(redemptions);
  await signInInPopup(popup, stack, 'ada');
  expect(await outcome(page)).toMatchObject({ ok: true, sub: 'ada' });
  expect(stack.provider.count('token', 'authorization_code')).toBe(redemptions + 1);
});

test.describe('when the provider’s pages send Cross-Origin-Opener-Policy: same-origin', () => {
  test.use({ providerCoop: true });

  test('with cancelOnClose: false, the login completes over the BroadcastChannel', async ({ page, stack }) => {
    await openApp(page, stack, { options: JSON.stringify({ cancelOnClose: false }) });
    const popup = await clickLogin(page);
    await atLoginForm(popup, stack);
    // COOP took effect: the popup lost its opener, and the opener's handle reads closed.
    expect(await popup.evaluate(() => window.opener)).toBeNull();
    await signInInPopup(popup, stack, 'ada');
    expect(await outcome(page)).toMatchObject({ ok: true, sub: 'ada' });
    expect(await stateOf(page)).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
    expect(await markers(page)).toEqual([]);
  });

  test('with the default cancelOnClose, the cut-off popup reads as closed: popup_closed (as documented)', async ({ page, stack }) => {
    await openApp(page, stack);
    const popup = await clickLogin(page);
    await atLoginForm(popup, stack);
    expect(await outcome(page)).toMatchObject({ ok: false, code: 'popup_closed' });
    // The opener cannot close a window COOP took from it: it is still there.
    expect(popup.isClosed()).toBe(false);
    await popup.close();
  });
});

/**
 * A browser of the project's engine with its popup blocker on (Playwright turns it off by default),
 * and the `autologin` that makes a call outside any user gesture in it.
 */
async function withPopupBlocker(browserName: string): Promise<{ browser: Browser; autologin: string }> {
  if (browserName !== 'firefox') {
    // Chromium: without the --disable-popup-blocking flag Playwright adds. A call at load has no activation.
    return { browser: await chromium.launch({ ...chromiumLaunchOptions, ignoreDefaultArgs: ['--disable-popup-blocking'] }), autologin: '1' };
  }
  // Firefox: the blocker preference Playwright writes false into the profile, back to Firefox's default.
  // And Playwright's Firefox (WebDriver BiDi) runs every evaluation, its own at each document's creation
  // included, with `userActivation: true`: each leaves the page a transient user activation, which lets
  // a popup through for 5 s. So the app calls once the activation has lapsed (`autologin=inactive`),
  // shortened to 1.5 s (`dom.user_activation.transient.timeout`, milliseconds in this Firefox): a click
  // still opens the popup, its activation being fresh, under load too.
  const firefoxUserPrefs = { ...firefoxLaunchOptions.firefoxUserPrefs, 'dom.disable_open_during_load': true, 'dom.user_activation.transient.timeout': 1500 };
  return { browser: await firefox.launch({ ...firefoxLaunchOptions, firefoxUserPrefs }), autologin: 'inactive' };
}

test.describe('with the browser’s popup blocker on', () => {
  test('a call outside a user gesture rejects popup_blocked and starts no login; one in a click handler works', async ({ stack, browserName }) => {
    const { browser, autologin } = await withPopupBlocker(browserName);
    try {
      const page = await (await browser.newContext()).newPage();
      const authorizations = stack.provider.count('authorization');
      await openApp(page, stack, { autologin });
      expect(await outcome(page, 0)).toMatchObject({ ok: false, code: 'popup_blocked', isAuthError: true });
      expect(page.context().pages()).toHaveLength(1);
      expect(stack.provider.count('authorization')).toBe(authorizations);
      const popup = await clickLogin(page);
      await signInInPopup(popup, stack, 'ada');
      expect(await outcome(page, 1)).toMatchObject({ ok: true, sub: 'ada' });
    } finally {
      await browser.close();
    }
  });
});
