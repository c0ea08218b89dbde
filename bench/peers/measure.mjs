// The side-by-side benchmark: the same scenarios, in the same run, for oidc-session, auth0-spa-js and
// oidc-client-ts, each through a thin adapter (adapters/*.js) against the local oidc-provider.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { startStack } from '../../demo/stack.mjs';

export const SDKS = ['oidc-session', 'auth0-spa-js', 'oidc-client-ts'];
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const buildDir = here('../../bench/.build/');
const median = (values) => quantile(values, 0.5);
/** The value below which a fraction `q` of the samples lie (nearest rank). */
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))];

/** Bundles each adapter the way an app's bundler would (dependencies in, minified) and measures it. */
export async function bundleAdapters() {
  await mkdir(buildDir, { recursive: true });
  const sizes = {};
  for (const sdk of SDKS) {
    const result = await build({
      entryPoints: [here(`./adapters/${sdk}.js`)],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const code = Buffer.from(result.outputFiles[0].contents);
    await writeFile(`${buildDir}${sdk}.js`, code);
    sizes[sdk] = {
      min: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
      brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  }
  return sizes;
}

/** The local provider, with one client per SDK (and a short-lived-token twin) and Auth0's URL layout. */
export async function startBenchStack() {
  const pages = ['oidc-session', 'auth0-spa-js', 'oidc-client-ts'].map((sdk) => `/bench/${sdk}.html`);
  const stack = await startStack({
    trailingSlash: true,
    // No form to type into: the round trip measures the SDKs and the redirects, not Playwright's typing.
    autoLogin: 'bench',
    // Auth0's logout URL, handed over to the standard end-session endpoint.
    providerMiddleware: [
      async (ctx, next) => {
        if (ctx.path !== '/v2/logout') return next();
        const query = new URLSearchParams({ client_id: String(ctx.query.client_id), post_logout_redirect_uri: String(ctx.query.returnTo) });
        ctx.redirect(`/oidc/logout?${query}`);
      },
    ],
    pages: { '/bench/': here('./pages/'), '/bench-build/': buildDir },
    pagePaths: pages,
    configureProvider: (config, app) => ({
      ...config,
      // auth0-spa-js builds these paths itself; the other two read them from discovery.
      routes: { authorization: '/authorize', token: '/oauth/token', revocation: '/oauth/revoke', end_session: '/oidc/logout' },
      clients: SDKS.flatMap((sdk) =>
        [sdk, `${sdk}-short`].map((clientId) => ({
          client_id: clientId,
          application_type: 'web',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [`${app}/bench/${sdk}.html`],
          post_logout_redirect_uris: [`${app}/bench/${sdk}.html`],
        })),
      ),
      // For the expiry scenarios the first access token lives 3 s; refreshed ones an hour, as usual.
      // (auth0-spa-js treats any token within 60 s of expiry as expired, so short refreshed tokens
      // would make it refresh on every call.)
      ttl: {
        ...config.ttl,
        AccessToken: (ctx, _token, client) => (client.clientId.endsWith('-short') && ctx?.oidc?.params?.grant_type !== 'refresh_token' ? 3 : 3600),
      },
    }),
  });
  return stack;
}

/** Counts requests a page sends to the provider while `action` runs. */
async function providerRequests(page, stack, action) {
  const seen = [];
  const listener = (request) => request.url().startsWith(stack.provider.issuer) && seen.push(request.url());
  page.on('request', listener);
  try {
    await action();
  } finally {
    page.off('request', listener);
  }
  return seen.length;
}

async function open(context, stack, sdk) {
  const page = await context.newPage();
  await page.goto(`${stack.app.origin}/bench/${sdk}.html`);
  await page.waitForFunction(() => window.benchReady === true);
  return page;
}

/** Login from the app to the callback handled; returns the round trip in ms and the provider requests it took. */
async function login(page, stack) {
  const started = Date.now();
  const requests = await providerRequests(page, stack, async () => {
    await page.evaluate(() => void window.adapter.login());
    await page.waitForURL((url) => url.href.includes('/bench/') && url.href.includes('code='), { waitUntil: 'commit', timeout: 15_000 });
    await page.waitForFunction(() => window.benchReady === true && window.authenticated === true, undefined, { timeout: 15_000 });
  });
  const finished = await page.evaluate(() => window.loggedInAt);
  return { ms: finished - started, requests };
}

/**
 * A fresh browser profile. `metadata` hands every page the provider's discovery document, standing in
 * for an app that pastes it into its source (the "endpoints configured" variant).
 */
async function newContext(browser, stack, { short = false, metadata } = {}) {
  const context = await browser.newContext();
  await context.addInitScript((value) => localStorage.setItem('bench:short', value), short ? '1' : '0');
  if (metadata) await context.addInitScript((value) => void (window.BENCH_METADATA = value), metadata);
  void stack;
  return context;
}

/**
 * Login round trips on their own, many more of them than the other timings: one round trip is mostly
 * redirects and page loads, whose time varies far more from run to run than the SDKs' share does.
 * Each sample is a fresh profile: open the app, then login() to the callback handled. Every SDK runs
 * as its docs show it (oidc-session and oidc-client-ts fetch discovery) and with the endpoints
 * configured (both given the discovery document; auth0-spa-js never fetches it), interleaved run by run.
 */
async function loginTimings(browser, stack, runs, metadata) {
  const variants = { discovered: undefined, configured: metadata };
  const samples = Object.fromEntries(SDKS.map((sdk) => [sdk, { discovered: [], configured: [] }]));
  for (let run = 0; run < runs; run++) {
    for (const [variant, given] of Object.entries(variants)) {
      for (const sdk of SDKS) {
        const context = await newContext(browser, stack, { metadata: given });
        const page = await open(context, stack, sdk);
        samples[sdk][variant].push(await login(page, stack));
        await context.close();
      }
    }
  }
  const summary = (list) => {
    const ms = list.map((s) => s.ms);
    return { medianMs: median(ms), p25Ms: quantile(ms, 0.25), p75Ms: quantile(ms, 0.75), providerRequests: Math.max(...list.map((s) => s.requests)) };
  };
  return Object.fromEntries(SDKS.map((sdk) => [sdk, { login: summary(samples[sdk].discovered), loginConfigured: summary(samples[sdk].configured) }]));
}

/** One timed pass of one SDK: cold load, reload with a session, cached and forced token calls. */
async function timedRun(browser, stack, sdk, calls) {
  const context = await newContext(browser, stack);
  const page = await context.newPage();
  const coldRequests = await providerRequests(page, stack, async () => {
    await page.goto(`${stack.app.origin}/bench/${sdk}.html`);
    await page.waitForFunction(() => window.benchReady === true);
  });
  const cold = await page.evaluate(() => window.readyAt);
  // Signed in for the reload and token timings; login itself is timed in loginTimings().
  await login(page, stack);
  const reloadRequests = await providerRequests(page, stack, async () => {
    await page.reload();
    await page.waitForFunction(() => window.benchReady === true);
  });
  if (!(await page.evaluate(() => window.authenticated))) throw new Error(`${sdk}: not signed in after reload`);
  const reload = await page.evaluate(() => window.readyAt);
  const cached = await page.evaluate(async (n) => {
    const adapter = window.adapter;
    for (let i = 0; i < 1000; i++) await adapter.getAccessToken();
    const start = performance.now();
    for (let i = 0; i < n; i++) await adapter.getAccessToken();
    return ((performance.now() - start) * 1e6) / n;
  }, calls);
  const forced = await page.evaluate(async () => {
    const start = performance.now();
    await window.adapter.forceRefresh();
    return performance.now() - start;
  });
  await context.close();
  return { cold, coldRequests, reload, reloadRequests, cached, forced };
}

/** Timings for every SDK, the SDKs interleaved run by run so that drift in the machine hits all alike. */
async function timings(browser, stack, runs, calls) {
  const samples = Object.fromEntries(SDKS.map((sdk) => [sdk, []]));
  for (let run = 0; run < runs; run++) {
    for (const sdk of SDKS) samples[sdk].push(await timedRun(browser, stack, sdk, calls));
  }
  const of = (sdk, key) => samples[sdk].map((s) => s[key]);
  return Object.fromEntries(
    SDKS.map((sdk) => [
      sdk,
      {
        coldReadyMs: median(of(sdk, 'cold')),
        coldProviderRequests: Math.max(...of(sdk, 'coldRequests')),
        reloadReadyMs: median(of(sdk, 'reload')),
        reloadProviderRequests: Math.max(...of(sdk, 'reloadRequests')),
        cachedGetAccessTokenNs: median(of(sdk, 'cached')),
        forcedRefreshMs: median(of(sdk, 'forced')),
      },
    ]),
  );
}

/** 50 concurrent getAccessToken() calls once the access token has expired. */
async function concurrentAfterExpiry(browser, stack, sdk) {
  const context = await newContext(browser, stack, { short: true });
  const page = await open(context, stack, sdk);
  await login(page, stack);
  await page.waitForTimeout(3500);
  const before = stack.provider.count('token', 'refresh_token');
  const results = await page.evaluate(() =>
    Promise.all(Array.from({ length: 50 }, () => window.adapter.getAccessToken().then(() => true, () => false))),
  );
  const tokenRequests = stack.provider.count('token', 'refresh_token') - before;
  const survives = await page.evaluate(() => window.adapter.getAccessToken().then(() => true, () => false));
  await context.close();
  return { concurrentTokenRequests: tokenRequests, concurrentFailures: results.filter((ok) => !ok).length, concurrentSessionSurvives: survives };
}

/** Three tabs (two opened from the first, as a user would) refreshing an expired token at once. */
async function threeTabs(browser, stack, sdk) {
  const context = await newContext(browser, stack, { short: true });
  const first = await open(context, stack, sdk);
  await login(first, stack);
  const tabs = [first];
  for (let i = 0; i < 2; i++) {
    const [tab] = await Promise.all([context.waitForEvent('page'), first.evaluate((url) => void window.open(url, '_blank'), first.url())]);
    await tab.waitForFunction(() => window.benchReady === true);
    tabs.push(tab);
  }
  await first.waitForTimeout(3500);
  const before = stack.provider.count('token', 'refresh_token');
  const at = Date.now() + 200;
  await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(async (instant) => {
        await new Promise((r) => setTimeout(r, instant - Date.now()));
        return window.adapter.getAccessToken().then(() => true, () => false);
      }, at),
    ),
  );
  const tokenRequests = stack.provider.count('token', 'refresh_token') - before;
  await first.waitForTimeout(300);
  const loggedOut = (await Promise.all(tabs.map((tab) => tab.evaluate(() => window.adapter.getAccessToken().then(() => false, () => true))))).filter(Boolean).length;
  await context.close();
  return { tabsTokenRequests: tokenRequests, tabsLoggedOut: loggedOut };
}

/** Logout: tokens left in any storage, end-session reached, refresh token revoked. */
async function logout(browser, stack, sdk) {
  const context = await newContext(browser, stack);
  const page = await open(context, stack, sdk);
  await login(page, stack);
  const endSession = stack.provider.count('end_session');
  const revocation = stack.provider.count('revocation');
  await Promise.all([page.waitForURL((url) => url.href.startsWith(stack.provider.issuer)), page.evaluate(() => void window.adapter.logout())]);
  await page.waitForTimeout(500);
  await page.goto(`${stack.app.origin}/bench/plain.html`);
  const stored = await page.evaluate(async () => {
    const parts = [JSON.stringify(Object.entries(sessionStorage)), JSON.stringify(Object.entries(localStorage))];
    for (const info of await indexedDB.databases()) {
      const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open(info.name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      for (const name of Array.from(db.objectStoreNames)) {
        parts.push(await new Promise((resolve) => {
          const request = db.transaction(name).objectStore(name).getAll();
          request.onsuccess = () => resolve(JSON.stringify(request.result));
        }));
      }
      db.close();
    }
    return parts.join('\n');
  });
  const tokensLeft = [...stack.provider.issued].filter((token) => stored.includes(token)).length;
  const result = {
    logoutTokensLeft: tokensLeft,
    logoutEndSessionReached: stack.provider.count('end_session') > endSession,
    logoutRevocationSent: stack.provider.count('revocation') > revocation,
  };
  stack.provider.issued.clear();
  await context.close();
  return result;
}

/** Every SDK through every scenario. */
export async function measurePeers(browser, { runs = 5, loginRuns = 30, calls = 20_000 } = {}) {
  const sizes = await bundleAdapters();
  const stack = await startBenchStack();
  try {
    const discovery = await fetch(`${stack.provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    const metadata = await discovery.json();
    const timed = await timings(browser, stack, runs, calls);
    const logins = await loginTimings(browser, stack, loginRuns, metadata);
    const results = {};
    for (const sdk of SDKS) {
      results[sdk] = {
        bundle: sizes[sdk],
        ...timed[sdk],
        ...logins[sdk],
        ...(await concurrentAfterExpiry(browser, stack, sdk)),
        ...(await threeTabs(browser, stack, sdk)),
        ...(await logout(browser, stack, sdk)),
      };
    }
    return results;
  } finally {
    await stack.close();
  }
}
