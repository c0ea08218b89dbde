// `npm run bench`: oidc-session side by side with auth0-spa-js and oidc-client-ts, in one run, in
// headless Chromium against the local oidc-provider. Prints a table (timings also as ratios to
// oidc-session, measured in the same run), writes bench/results/latest.json, and with `--docs`
// rewrites docs/benchmarks.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { measurePeers, SDKS } from './peers/measure.mjs';
import { measureSizes } from './size.mjs';
import { measureTabs } from './tabs.mjs';
import { measureDpop } from './dpop.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const LOGIN_RUNS = Number(process.env.BENCH_LOGIN_RUNS ?? 30);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = new URL('../', import.meta.url);

const sizesOf = (buffer) => ({
  min: buffer.length,
  gzip: gzipSync(buffer, { level: 9 }).length,
  brotli: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

/** Each SDK's own file for a `<script>` tag, as its package ships it. */
async function cdnSizes() {
  const files = {
    'oidc-session': 'dist/oidc-session.global.js',
    'auth0-spa-js': 'node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js',
    'oidc-client-ts': 'node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js',
  };
  const out = {};
  for (const [sdk, file] of Object.entries(files)) out[sdk] = { file, ...sizesOf(await readFile(new URL(file, root))) };
  return out;
}

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let peers;
let tabs;
let dpop;
try {
  peers = await measurePeers(browser, { runs: RUNS, loginRuns: LOGIN_RUNS, calls: CALLS });
  tabs = await measureTabs(browser, { runs: 5 });
  dpop = await measureDpop(browser);
} finally {
  await browser.close();
}
const report = {
  date: new Date().toISOString(),
  command: 'npm run bench',
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  chromium: browser.version(),
  node: process.version,
  versions: {
    'auth0-spa-js': JSON.parse(await readFile(new URL('node_modules/@auth0/auth0-spa-js/package.json', root), 'utf8')).version,
    'oidc-client-ts': JSON.parse(await readFile(new URL('node_modules/oidc-client-ts/package.json', root), 'utf8')).version,
  },
  runs: RUNS,
  loginRuns: LOGIN_RUNS,
  callsPerRun: CALLS,
  ownSizes: await measureSizes(),
  cdn: await cdnSizes(),
  peers,
  tabs,
  dpop,
};

// ---- the table -------------------------------------------------------------------------------
const ours = peers['oidc-session'];
const fmt = (value, digits = 0) => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : Number(value).toFixed(digits));
const ratio = (value, base) => (base > 0 ? ` (${(value / base).toFixed(1)}×)` : '');
const rows = [
  ['CDN file, brotli (B)', (sdk) => fmt(report.cdn[sdk].brotli)],
  ['minimal import, bundled + minified, brotli (B)', (sdk) => fmt(peers[sdk].bundle.brotli)],
  ['ready on a cold load (ms)', (sdk) => fmt(peers[sdk].coldReadyMs) + (sdk === 'oidc-session' ? '' : ratio(peers[sdk].coldReadyMs, ours.coldReadyMs))],
  ['  provider requests', (sdk) => fmt(peers[sdk].coldProviderRequests)],
  ['ready on a reload with a live session (ms)', (sdk) => fmt(peers[sdk].reloadReadyMs) + (sdk === 'oidc-session' ? '' : ratio(peers[sdk].reloadReadyMs, ours.reloadReadyMs))],
  ['  provider requests', (sdk) => fmt(peers[sdk].reloadProviderRequests)],
  ['login round trip, as documented (ms)', (sdk) => fmt(peers[sdk].login.medianMs) + (sdk === 'oidc-session' ? '' : ratio(peers[sdk].login.medianMs, ours.login.medianMs))],
  ['  middle half of the runs (ms)', (sdk) => `${fmt(peers[sdk].login.p25Ms)}–${fmt(peers[sdk].login.p75Ms)}`],
  ['  provider requests', (sdk) => fmt(peers[sdk].login.providerRequests)],
  ['login round trip, endpoints configured (ms)', (sdk) => fmt(peers[sdk].loginConfigured.medianMs) + (sdk === 'oidc-session' ? '' : ratio(peers[sdk].loginConfigured.medianMs, ours.loginConfigured.medianMs))],
  ['  middle half of the runs (ms)', (sdk) => `${fmt(peers[sdk].loginConfigured.p25Ms)}–${fmt(peers[sdk].loginConfigured.p75Ms)}`],
  ['  provider requests', (sdk) => fmt(peers[sdk].loginConfigured.providerRequests)],
  ['cached getAccessToken() (ns per call)', (sdk) => fmt(peers[sdk].cachedGetAccessTokenNs) + (sdk === 'oidc-session' ? '' : ratio(peers[sdk].cachedGetAccessTokenNs, ours.cachedGetAccessTokenNs))],
  ['forced refresh (ms)', (sdk) => fmt(peers[sdk].forcedRefreshMs, 1) + (sdk === 'oidc-session' ? '' : ratio(peers[sdk].forcedRefreshMs, ours.forcedRefreshMs))],
  ['50 concurrent calls after expiry: token requests', (sdk) => fmt(peers[sdk].concurrentTokenRequests)],
  ['  failed calls', (sdk) => fmt(peers[sdk].concurrentFailures)],
  ['  session survives', (sdk) => fmt(peers[sdk].concurrentSessionSurvives)],
  ['3 tabs refreshing at once: token requests', (sdk) => fmt(peers[sdk].tabsTokenRequests)],
  ['  tabs logged out', (sdk) => fmt(peers[sdk].tabsLoggedOut)],
  ['logout: tokens left in storage', (sdk) => fmt(peers[sdk].logoutTokensLeft)],
  ['  end-session endpoint reached', (sdk) => fmt(peers[sdk].logoutEndSessionReached)],
  ['  refresh token revoked', (sdk) => fmt(peers[sdk].logoutRevocationSent)],
];
const header = ['', ...SDKS.map((sdk) => (sdk === 'oidc-session' ? sdk : `${sdk} ${report.versions[sdk]}`))];
const table = [header, ...rows.map(([label, cell]) => [label, ...SDKS.map(cell)])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const text = table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
const markdown = [
  `| ${header.join(' | ')} |`,
  `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
  ...rows.map(([label, cell]) => `| ${label.trim()} | ${SDKS.map(cell).join(' | ')} |`),
].join('\n');
const dpopText = `oidc-session alone, DPoP: one API request's headers with a cached token take ${dpop.dpopHeadersUs} µs with a proof (key lookup + ES256 signature) against ${dpop.bearerHeadersUs} µs for Bearer (median of ${dpop.runs} × ${dpop.calls} calls); a cached token adds ${dpop.providerRequestsWithCachedToken} provider requests.`;
const tabsText = `oidc-session alone, 3 tabs × 20 callers: ${tabs.session.tokenRequestsPerExpiry} token request per expiry (sessionStorage), ${tabs.indexeddb.tokenRequestsPerExpiry} (IndexedDB); logout reaches the other tabs in ${tabs.session.logoutPropagationMs} ms / ${tabs.indexeddb.logoutPropagationMs} ms (median).`;

console.log(`\n${report.command} — ${report.date}\n${report.machine}, Chromium ${report.chromium}, Node ${report.node}\nmedians of ${RUNS} runs (login: ${LOGIN_RUNS} per variant); ratios are to oidc-session in this run (above 1× = slower)\n`);
console.log(text);
console.log(`\n${tabsText}`);
console.log(dpopText);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log('\nWrote bench/results/latest.json');

if (process.argv.includes('--docs')) {
  const path = new URL('docs/benchmarks.md', root);
  const doc = await readFile(path, 'utf8');
  const generated = `<!-- bench:start -->\nRun \`${report.command}\` on ${report.date.slice(0, 10)} — ${report.machine}, Chromium ${report.chromium}, Node ${report.node}; auth0-spa-js ${report.versions['auth0-spa-js']}, oidc-client-ts ${report.versions['oidc-client-ts']}; medians of ${RUNS} runs (login round trips: ${LOGIN_RUNS} per SDK and variant), ratios to oidc-session in the same run.\n\n${markdown}\n\n${tabsText}\n\n${dpopText}\n<!-- bench:end -->`;
  await writeFile(path, doc.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, generated));
  console.log('Rewrote docs/benchmarks.md');
}
