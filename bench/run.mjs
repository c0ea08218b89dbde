// `npm run bench`: what oidc-session costs a page, measured in headless Chromium against the local
// provider. Prints a table and writes bench/results/latest.json.
//
//   - bundle size of the CDN build and of a minimal ESM import (min, gzip, brotli);
//   - a cached getAccessToken(): nanoseconds per call (median of several runs of many calls);
//   - a reload with a live session: requests to the provider and time until `authenticated`;
//   - a login round trip (click to authenticated, through the provider's form);
//   - across tabs: token requests per expiry with 3 tabs × 20 callers, and logout propagation.
//
// Numbers for auth0-spa-js and oidc-client-ts in the same run come with `npm run bench` once the
// side-by-side harness lands (issue 5); this script measures oidc-session alone.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { chromium } from '@playwright/test';
import { startStack } from '../demo/stack.mjs';
import { measureSizes } from './size.mjs';
import { measureTabs } from './tabs.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const sizes = await measureSizes();
const stack = await startStack({ accessTokenTtl: 3600 });
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const builds = { esm: '/demo/', cdn: '/demo/cdn.html' };
const results = {};
try {
  for (const [build, path] of Object.entries(builds)) {
    const page = await browser.newPage();
    const url = stack.app.origin + path;
    await page.goto(url);
    await page.waitForSelector('.status[data-status=anonymous]');

    // Login round trip: from the click to `authenticated`, through the provider's real form.
    const loginStart = Date.now();
    await page.click('text=Sign in');
    await page.fill('input[name=login]', 'bench');
    await page.click('button.primary');
    await page.waitForSelector('.status[data-status=authenticated]');
    const loginMs = Date.now() - loginStart;

    // Cached getAccessToken(): many awaited calls in a tight loop, several runs, median.
    const perCallNs = await page.evaluate(
      async ({ runs, calls }) => {
        const client = window.client;
        for (let i = 0; i < 10_000; i++) await client.getAccessToken();
        const out = [];
        for (let r = 0; r < runs; r++) {
          const start = performance.now();
          for (let i = 0; i < calls; i++) await client.getAccessToken();
          out.push(((performance.now() - start) * 1e6) / calls);
        }
        return out;
      },
      { runs: RUNS, calls: CALLS },
    );

    // Reload with a live session: requests to the provider and time to `authenticated`.
    const reloads = [];
    for (let r = 0; r < RUNS; r++) {
      const providerRequests = [];
      const onRequest = (request) => request.url().startsWith(stack.provider.issuer) && providerRequests.push(request.url());
      page.on('request', onRequest);
      const start = Date.now();
      await page.reload();
      await page.waitForSelector('.status[data-status=authenticated]');
      reloads.push({ ms: Date.now() - start, providerRequests: providerRequests.length });
      page.off('request', onRequest);
    }

    results[build] = {
      loginRoundTripMs: loginMs,
      cachedGetAccessTokenNs: median(perCallNs),
      cachedGetAccessTokenRunsNs: perCallNs.map((n) => Math.round(n)),
      reloadToAuthenticatedMs: median(reloads.map((r) => r.ms)),
      reloadProviderRequests: Math.max(...reloads.map((r) => r.providerRequests)),
    };
    await page.close();
  }
  results.tabs = await measureTabs(browser, { runs: Math.min(RUNS, 5) });
} finally {
  await browser.close();
  await stack.close();
}

const report = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${process.platform}`,
  chromium: browser.version(),
  node: process.version,
  runs: RUNS,
  callsPerRun: CALLS,
  sizes,
  browser: results,
};

const pad = (value, width) => String(value).padStart(width);
console.log(`\noidc-session benchmark — ${report.date}\n${report.machine}, Chromium ${report.chromium}, Node ${report.node}\n`);
console.log('Size                            min       gzip     brotli');
console.log(`CDN build (IIFE)           ${pad(sizes.cdn.min, 8)} B ${pad(sizes.cdn.gzip, 8)} B ${pad(sizes.cdn.brotli, 8)} B   (budget ${sizes.cdnBudgetBrotli} B brotli)`);
console.log(`ESM minimal import         ${pad(sizes.esmMinimalImport.min, 8)} B ${pad(sizes.esmMinimalImport.gzip, 8)} B ${pad(sizes.esmMinimalImport.brotli, 8)} B`);
console.log('\nChromium                                   npm build    CDN build');
const line = (label, key, unit, digits = 0) =>
  console.log(`${label.padEnd(42)} ${pad(results.esm[key].toFixed(digits), 8)} ${unit} ${pad(results.cdn[key].toFixed(digits), 8)} ${unit}`);
line('cached getAccessToken(), per call', 'cachedGetAccessTokenNs', 'ns');
line('reload with live session → authenticated', 'reloadToAuthenticatedMs', 'ms');
line('  requests to the provider during reload', 'reloadProviderRequests', '  ');
line('login round trip (click → authenticated)', 'loginRoundTripMs', 'ms');
console.log('\nAcross tabs (3 tabs, 20 callers each, tokens living 2 s)   sessionStorage    IndexedDB');
const tabLine = (label, key, unit) =>
  console.log(`${label.padEnd(58)} ${pad(results.tabs.session[key], 8)} ${unit} ${pad(results.tabs.indexeddb[key], 8)} ${unit}`);
tabLine(`token requests per expiry (max over ${results.tabs.session.expiries})`, 'tokenRequestsPerExpiry', '  ');
tabLine('failed getAccessToken() calls', 'failures', '  ');
tabLine('tabs signed out', 'tabsSignedOut', '  ');
tabLine('logout → last other tab anonymous (median)', 'logoutPropagationMs', 'ms');
console.log(`\nMedians of ${RUNS} runs (${CALLS} calls per getAccessToken run). Targets: ≤ 2000 ns per cached call, 0 requests on reload, CDN ≤ ${sizes.cdnBudgetBrotli} B brotli,\n1 token request per expiry, logout reaching other tabs in < 1000 ms.`);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log('Wrote bench/results/latest.json');
