// `npm run bench:server`: what a session lookup costs each API request of an app, oidc-session's
// session server next to express-session, in one run, on the same stores: our memoryStore() against
// express-session's MemoryStore, and our redisStore() against connect-redis on the same redis-server.
// Each app runs alone in a child process on plain node:http; autocannon loads GET /api/me from this
// process with the session cookie. Configurations are interleaved over rounds (the first mover
// alternating), so drift in the machine hits both alike. Prints a table, writes
// bench/results/server.json, and with `--docs` rewrites its section of docs/benchmarks.md.
// The same run then measures the session server's API proxy (bench/server/proxy-*.mjs): a direct
// call to a small upstream API, plain reverse proxies in front of it, and the session server's `apis`
// proxy after a real login, interleaved the same way; bench/results/server-proxy.json and its own
// section of docs/benchmarks.md.
// Env: BENCH_ROUNDS (3), BENCH_DURATION (5 s), BENCH_WARMUP (1 s), BENCH_CONNECTIONS (50),
// BENCH_STORES (memory,redis), BENCH_CPU_PROF (a directory: write each app's V8 CPU profile there),
// BENCH_DIST (measure another build's output directory instead of dist/, e.g. an older commit's),
// BENCH_COMPARE_DIST (another build's output directory: its proxy joins the proxy section's rounds,
// interleaved with this build's, for an A/B of one change; between runs this machine drifts by a
// fifth), BENCH_SECTIONS (session,proxy: which parts to run), BENCH_PROBE_REQUESTS (2000 one-at-a-time
// requests per proxy sample, for the added latency).
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { startProvider } from '../demo/provider.mjs';
import { freePort, startRedis } from '../test/support/redis-server.mjs';
import { killAll, startApp } from './server/apps.mjs';
import { measure } from './server/load.mjs';
import { loginCookie } from './server/login.mjs';
import { LABELS, rewriteDocs, summarize, textTable, verdicts } from './server/report.mjs';
import { PROXY_COMPARE, PROXY_CONFIGS, PROXY_LABELS, addCompareConfig, startProxyConfig } from './server/proxy-apps.mjs';
import { measureProxy } from './server/proxy-load.mjs';
import { proxyTextTable, proxyVerdicts, rewriteProxyDocs, summarizeProxy } from './server/proxy-report.mjs';
import { snapshotDist } from './server/snapshot.mjs';

const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 5),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 1),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
  pipelining: 1,
  stores: (process.env.BENCH_STORES ?? 'memory,redis').split(',').filter((s) => s === 'memory' || s === 'redis'),
  order: 'per round and store: oidc-session then express-session, swapped every other round',
};
const sections = (process.env.BENCH_SECTIONS ?? 'session,proxy').split(',');
const proxySettings = {
  rounds: settings.rounds,
  durationSeconds: settings.durationSeconds,
  warmupSeconds: settings.warmupSeconds,
  connections: settings.connections,
  pipelining: settings.pipelining,
  probeRequests: Number(process.env.BENCH_PROBE_REQUESTS ?? 2000),
  order: `per round: ${PROXY_CONFIGS.join(', ')}, rotated by one each round`,
  request: 'GET /api/orders/42 with the session cookie and x-oidc-session: 1 (direct: GET /v1/42 with a Bearer token)',
};
const cpuProfDir = process.env.BENCH_CPU_PROF;
const root = new URL('../', import.meta.url);
const CLIENT_ID = 'bench-session-server';
const CLIENT_SECRET = 'a-client-secret-for-the-benchmark-only';
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

let redis;
let provider;
let snapshot;
let compareSnapshot;
// Whatever happens (an error, Ctrl-C), no app or redis-server outlives the run.
process.on('exit', () => {
  killAll();
  void redis?.stop();
  snapshot?.remove();
  compareSnapshot?.remove();
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const versionOf = async (name) => JSON.parse(await readFile(new URL(`node_modules/${name}/package.json`, root), 'utf8')).version;
/** Which build was measured: the commit, and whether src/ had uncommitted changes (dist/ is built from the working tree). */
const buildOf = () => {
  if (process.env.BENCH_DIST) return { dist: process.env.BENCH_DIST };
  try {
    const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    return { dist: 'dist/', commit: git('rev-parse', '--short', 'HEAD'), uncommittedSrcChanges: git('status', '--porcelain', '--', 'src').length > 0 };
  } catch {
    return { dist: 'dist/' };
  }
};
const build = buildOf();
// Other work on the machine skews the numbers: the load averages (1, 5, 15 min) before the run started.
const loadAverage = os.loadavg().map((n) => Number(n.toFixed(2)));
const redisServerVersion = () => {
  try {
    return /v=(\S+)/.exec(execFileSync(process.env.REDIS_SERVER ?? 'redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
};

async function main() {
  // The docs show one build: an A/B belongs in the terminal.
  if (process.env.BENCH_COMPARE_DIST && process.argv.includes('--docs')) throw new Error('BENCH_COMPARE_DIST and --docs do not go together');
  snapshot = await snapshotDist(process.env.BENCH_DIST);
  if (process.env.BENCH_COMPARE_DIST) {
    compareSnapshot = await snapshotDist(process.env.BENCH_COMPARE_DIST, 'compare');
    addCompareConfig(process.env.BENCH_COMPARE_DIST);
  }
  const port = await freePort();
  const appOrigin = `http://localhost:${port}`;
  if (sections.includes('session') && settings.stores.includes('redis')) redis = await startRedis();
  provider = await startProvider({
    redirectUris: [],
    postLogoutRedirectUris: [],
    autoLogin: 'ada',
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        application_type: 'web',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appOrigin}/auth/callback`],
        post_logout_redirect_uris: [`${appOrigin}/`],
      },
    ],
  });
  const config = (store) => ({ store, serverEntry: snapshot.entry, port, appOrigin, redisUrl: redis?.url, issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, secret: SECRET });
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });

  const samples = {};
  for (let round = 0; round < (sections.includes('session') ? settings.rounds : 0); round++) {
    for (const store of settings.stores) {
      const order = round % 2 === 0 ? ['oidc-session', 'express-session'] : ['express-session', 'oidc-session'];
      for (const library of order) {
        const app = await startApp(library, config(store), { cpuProfDir });
        try {
          const cookie = await loginCookie(library, appOrigin);
          const sample = await measure({ url: `http://127.0.0.1:${port}/api/me`, cookie, ...settings });
          ((samples[store] ??= {})[library] ??= []).push(sample);
          console.log(`round ${round + 1}/${settings.rounds}  ${LABELS[store][library].padEnd(31)} ${String(Math.round(sample.rps)).padStart(6)} req/s  p50 ${sample.p50} ms  p99 ${sample.p99} ms`);
        } finally {
          await app.stop();
        }
      }
    }
  }
  const oidc = { serverEntry: snapshot.entry, issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, secret: SECRET };
  const proxySamples = sections.includes('proxy') ? await proxyRounds({ port, appOrigin, oidc }) : undefined;
  return { samples: sections.includes('session') ? samples : undefined, proxySamples };
}

/** The proxy section: one upstream API for all of it; in front of it, one configuration at a time. */
async function proxyRounds({ port, appOrigin, oidc }) {
  const upstreamPort = await freePort();
  const upstreamApi = await startApp('upstream-api', { port: upstreamPort }, { cpuProfDir });
  const upstream = `http://127.0.0.1:${upstreamPort}/v1`;
  const samples = {};
  try {
    for (let round = 0; round < proxySettings.rounds; round++) {
      const order = PROXY_CONFIGS.map((_, i) => PROXY_CONFIGS[(i + round) % PROXY_CONFIGS.length]);
      for (const name of order) {
        const built = name === PROXY_COMPARE ? { ...oidc, serverEntry: compareSnapshot.entry } : oidc;
        const config = await startProxyConfig(name, { port, appOrigin, upstream, cpuProfDir, oidc: built });
        try {
          const sample = await measureProxy({ url: config.url, headers: config.headers, pid: config.pid, ...proxySettings });
          (samples[name] ??= []).push(sample);
          console.log(`proxy round ${round + 1}/${proxySettings.rounds}  ${PROXY_LABELS[name].padEnd(34)} ${String(Math.round(sample.rps)).padStart(6)} req/s  p50 ${sample.p50} ms  p99 ${sample.p99} ms  one request p50 ${sample.probeP50} µs  p99 ${sample.probeP99} µs${sample.cpuPerRequest === undefined ? '' : `  proxy CPU ${sample.cpuPerRequest.toFixed(1)} µs/request`}`);
        } finally {
          await config.stop();
        }
      }
    }
  } finally {
    await upstreamApi.stop();
  }
  return samples;
}

let samples;
let proxySamples;
try {
  ({ samples, proxySamples } = await main());
} catch (error) {
  console.error(`\nbench:server failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  killAll();
  await provider?.close().catch(() => undefined);
  await redis?.stop();
  snapshot?.remove();
}

if (samples) {
  const report = {
    date: new Date().toISOString(),
    command: 'npm run bench:server',
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverage,
    versions: {
      'express-session': await versionOf('express-session'),
      'connect-redis': await versionOf('connect-redis'),
      redis: await versionOf('redis'),
      'redis-server': redisServerVersion(),
      autocannon: await versionOf('autocannon'),
    },
    build,
    settings,
    results: summarize(samples),
  };
  const buildText = build.commit ? `${build.commit}${build.uncommittedSrcChanges ? ' + uncommitted changes in src/' : ''}` : build.dist;
  console.log(`\n${report.command} — ${report.date}\n${report.machine}, Node ${report.node}, load average before the run ${report.loadAverage.join(' ')}; oidc-session build: ${buildText}`);
  console.log(`GET /api/me with a session cookie: ${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s, medians of ${settings.rounds} rounds\n`);
  console.log(textTable(report.results));
  console.log(`\n${verdicts(report.results).join('\n')}`);
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/server.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  console.log('\nWrote bench/results/server.json');
  if (process.argv.includes('--docs')) {
    await rewriteDocs(new URL('docs/benchmarks.md', root), report);
    console.log('Rewrote the session-server section of docs/benchmarks.md');
  }
}

if (proxySamples) {
  const report = {
    date: new Date().toISOString(),
    command: 'npm run bench:server',
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverage,
    versions: { autocannon: await versionOf('autocannon') },
    build,
    settings: proxySettings,
    results: summarizeProxy(proxySamples),
  };
  const s = proxySettings;
  console.log(`\nAPI proxy: ${s.request}; ${s.connections} connections, pipelining ${s.pipelining}, ${s.warmupSeconds} s warm-up + ${s.durationSeconds} s, then ${s.probeRequests} requests one at a time; medians of ${s.rounds} rounds\n`);
  console.log(proxyTextTable(report.results));
  console.log(`\n${proxyVerdicts(report.results).join('\n')}`);
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/server-proxy.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  console.log('\nWrote bench/results/server-proxy.json');
  if (process.argv.includes('--docs')) {
    await rewriteProxyDocs(new URL('docs/benchmarks.md', root), report);
    console.log('Rewrote the API-proxy section of docs/benchmarks.md');
  }
}
process.exit();
