// Cross-tab measurements for `npm run bench`: how many token requests one expiry costs when several
// tabs and callers ask at once, and how long a logout takes to reach the other tabs.
import { fileURLToPath } from 'node:url';
import { startStack } from '../demo/stack.mjs';

const pages = fileURLToPath(new URL('../test/e2e/pages/', import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Opens the test harness in a new tab of `context` and waits until it is ready. */
async function openTab(context, origin) {
  const page = await context.newPage();
  await page.goto(`${origin}/test/esm.html`);
  await page.waitForFunction(() => window.harnessReady === true);
  return page;
}

/** A context with `tabs` tabs signed in through the provider's form, in the given storage mode. */
async function signedInTabs(browser, stack, storage, tabs) {
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto(`${stack.app.origin}/test/plain.html`);
  await first.evaluate((json) => localStorage.setItem('harness:options', json), JSON.stringify({ storage }));
  await first.goto(`${stack.app.origin}/test/esm.html`);
  await first.waitForFunction(() => window.harnessReady === true);
  await first.evaluate(() => void window.client.login());
  await first.waitForSelector('input[name=login]');
  await first.fill('input[name=login]', 'bench');
  await first.click('button.primary');
  await first.waitForFunction(() => window.client?.state.status === 'authenticated');
  const all = [first];
  for (let i = 1; i < tabs; i++) all.push(await openTab(context, stack.app.origin));
  await Promise.all(all.map((tab) => tab.waitForFunction(() => window.client.state.status === 'authenticated')));
  return { context, tabs: all };
}

/**
 * Token requests per expiry with 3 tabs × 20 concurrent callers, over `expiries` expiries, plus
 * failed calls and tabs that ended up signed out.
 */
async function refreshPerExpiry(browser, stack, storage, expiries) {
  const { context, tabs } = await signedInTabs(browser, stack, storage, 3);
  const perExpiry = [];
  let failures = 0;
  for (let i = 0; i < expiries; i++) {
    const expiresAt = Math.max(...(await Promise.all(tabs.map((tab) => tab.evaluate(() => window.client.state.expiresAt)))));
    // Tokens live 2 s and count as due halfway.
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - 1000 - Date.now()) + 30));
    const before = stack.provider.count('token', 'refresh_token');
    const at = Date.now() + 150;
    const results = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(async (instant) => {
          await new Promise((r) => setTimeout(r, instant - Date.now()));
          return Promise.all(Array.from({ length: 20 }, () => window.client.getAccessToken().then(() => true, () => false)));
        }, at),
      ),
    );
    failures += results.flat().filter((ok) => !ok).length;
    perExpiry.push(stack.provider.count('token', 'refresh_token') - before);
  }
  const signedOut = (await Promise.all(tabs.map((tab) => tab.evaluate(() => window.client.state.status)))).filter((s) => s !== 'authenticated').length;
  await context.close();
  return { tokenRequestsPerExpiry: Math.max(...perExpiry), failures, tabsSignedOut: signedOut, expiries };
}

/** Milliseconds from `logout()` in one tab until the last of two other tabs is anonymous. */
async function logoutPropagation(browser, stack, storage) {
  const { context, tabs } = await signedInTabs(browser, stack, storage, 3);
  const [leaving, ...others] = tabs;
  await Promise.all(
    others.map((tab) =>
      tab.evaluate(() => {
        window.client.subscribe((state) => {
          if (state.status === 'anonymous' && window.anonymousAt === undefined) window.anonymousAt = Date.now();
        });
      }),
    ),
  );
  const started = await leaving.evaluate(() => {
    const now = Date.now();
    void window.client.logout();
    return now;
  });
  const ended = await Promise.all(others.map((tab) => tab.waitForFunction(() => window.anonymousAt).then(() => tab.evaluate(() => window.anonymousAt))));
  // Closing a context while a page is still navigating can stall Chromium's teardown: let it arrive.
  await leaving.waitForURL((url) => url.origin === stack.provider.issuer);
  await context.close();
  return Math.max(...ended) - started;
}

/** All cross-tab measurements, for the per-tab default and for IndexedDB. */
export async function measureTabs(browser, { runs = 5, expiries = 5 } = {}) {
  const stack = await startStack({ accessTokenTtl: 2, pages: { '/test/': pages }, pagePaths: ['/test/esm.html'] });
  try {
    const result = {};
    for (const storage of ['session', 'indexeddb']) {
      const refresh = await refreshPerExpiry(browser, stack, storage, expiries);
      const logouts = [];
      for (let i = 0; i < runs; i++) logouts.push(await logoutPropagation(browser, stack, storage));
      result[storage] = { ...refresh, logoutPropagationMs: median(logouts) };
    }
    return result;
  } finally {
    await stack.close();
  }
}
