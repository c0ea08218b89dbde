// What DPoP costs per API request, for `npm run bench`: in headless Chromium, the time authFetch's
// `headers()` takes to produce a request's Authorization (and, with DPoP, its proof: a key lookup by
// the token's hash and an ES256 signature) with a cached token, DPoP against Bearer, and the provider
// requests a cached token adds (none).
import { fileURLToPath } from 'node:url';
import { startStack } from '../demo/stack.mjs';
import { dpopProviderConfig } from '../test/support/dpop-provider.mjs';

const pages = fileURLToPath(new URL('../test/dpop-e2e/pages/', import.meta.url));

/** Signs in on the DPoP test page with `options` (dpop on by default; `{ dpop: undefined }`-like options come through localStorage). */
async function signedIn(browser, stack, options) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.app.origin}/demo/`);
  await page.evaluate((json) => localStorage.setItem('dpop:options', json), JSON.stringify(options));
  await page.goto(`${stack.app.origin}/dpop/app.html`);
  await page.waitForFunction(() => window.ready === true);
  await page.evaluate(() => void window.client.login());
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', 'bench');
  await page.click('button.primary');
  await page.waitForFunction(() => window.client?.state.status === 'authenticated');
  return { context, page };
}

/** Median microseconds of `calls` sequential `api.headers()` calls, after a warm-up, over `runs` runs. */
async function headersCost(page, calls, runs) {
  return page.evaluate(
    async ({ calls, runs }) => {
      const url = 'https://api.example.com/orders?page=1';
      for (let i = 0; i < 20; i++) await window.api.headers(url);
      const results = [];
      for (let r = 0; r < runs; r++) {
        const start = performance.now();
        for (let i = 0; i < calls; i++) await window.api.headers(url);
        results.push(((performance.now() - start) * 1000) / calls);
      }
      return results.sort((a, b) => a - b)[Math.floor(results.length / 2)];
    },
    { calls, runs },
  );
}

/**
 * @param {import('@playwright/test').Browser} browser
 * @param {{ calls?: number, runs?: number }} [options]
 */
export async function measureDpop(browser, { calls = 200, runs = 5 } = {}) {
  // DPoP accepted, not required, so the Bearer client signs in at the same provider.
  const stack = await startStack({
    pages: { '/dpop/': pages },
    pagePaths: ['/dpop/app.html'],
    configureProvider: (config) => dpopProviderConfig(config, { requireDPoP: false }),
  });
  try {
    const dpop = await signedIn(browser, stack, {});
    const before = stack.provider.requests.length;
    const dpopUs = await headersCost(dpop.page, calls, runs);
    const providerRequests = stack.provider.requests.length - before;
    const scheme = await dpop.page.evaluate(async () => (await window.api.headers('https://api.example.com/')).authorization.split(' ')[0]);
    await dpop.context.close();
    // The same page as a plain Bearer client.
    const bearer = await signedIn(browser, stack, { noDpop: true });
    const bearerUs = await headersCost(bearer.page, calls, runs);
    const bearerScheme = await bearer.page.evaluate(async () => (await window.api.headers('https://api.example.com/')).authorization.split(' ')[0]);
    await bearer.context.close();
    return { calls, runs, dpopHeadersUs: Math.round(dpopUs), bearerHeadersUs: Math.round(bearerUs * 10) / 10, providerRequestsWithCachedToken: providerRequests, schemes: [scheme, bearerScheme] };
  } finally {
    await stack.close();
  }
}
