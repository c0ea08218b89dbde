// The proxy section's medians, its printed table and its generated part of docs/benchmarks.md.
import { readFile, writeFile } from 'node:fs/promises';
import { PROXY_CONFIGS, PROXY_LABELS, PROXY_REFERENCE } from './proxy-apps.mjs';

/** The target: the plain reverse proxy serves at most this many times oidc-session's requests/s. */
export const PROXY_TARGET = 1.3;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Medians over rounds per configuration; `added*` against the direct call, `slowdown` = reference req/s ÷ this. */
export function summarizeProxy(samples) {
  const results = {};
  for (const name of PROXY_CONFIGS) {
    const rounds = samples[name];
    if (!rounds?.length) continue;
    const of = (key) => median(rounds.map((r) => r[key]));
    results[name] = {
      rps: Math.round(of('rps')),
      rpsMin: Math.round(Math.min(...rounds.map((r) => r.rps))),
      rpsMax: Math.round(Math.max(...rounds.map((r) => r.rps))),
      p50: of('p50'),
      p99: of('p99'),
      probeP50: Math.round(of('probeP50')),
      probeP99: Math.round(of('probeP99')),
      ...(rounds.every((r) => r.cpuPerRequest !== undefined) ? { cpuPerRequest: Number(of('cpuPerRequest').toFixed(1)) } : {}),
      rounds,
    };
  }
  const direct = results.direct;
  const reference = results[PROXY_REFERENCE];
  for (const [name, r] of Object.entries(results)) {
    if (direct && name !== 'direct') Object.assign(r, { addedP50: r.probeP50 - direct.probeP50, addedP99: r.probeP99 - direct.probeP99 });
    if (reference && name !== 'direct') r.slowdown = Number((reference.rps / r.rps).toFixed(2));
    if (reference?.cpuPerRequest !== undefined && r.cpuPerRequest !== undefined) r.cpuRatio = Number((r.cpuPerRequest / reference.cpuPerRequest).toFixed(2));
  }
  return results;
}

const HEADER = ['', 'requests/s', 'range over rounds', 'p50 (ms)', 'p99 (ms)', 'one request p50 (µs)', 'one request p99 (µs)', 'added p50 / p99 (µs)', 'plain proxy ÷ this (req/s)', 'proxy CPU per request (µs)', 'this ÷ plain proxy (CPU)'];
const fmtMs = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const signed = (n) => (n >= 0 ? `+${n}` : String(n));

function rows(results) {
  return Object.entries(results).map(([name, r]) => [
    PROXY_LABELS[name],
    String(r.rps),
    `${r.rpsMin}–${r.rpsMax}`,
    fmtMs(r.p50),
    fmtMs(r.p99),
    String(r.probeP50),
    String(r.probeP99),
    r.addedP50 === undefined ? '' : `${signed(r.addedP50)} / ${signed(r.addedP99)}`,
    r.slowdown === undefined ? '' : `${r.slowdown.toFixed(2)}×`,
    r.cpuPerRequest === undefined ? '' : r.cpuPerRequest.toFixed(1),
    r.cpuRatio === undefined ? '' : `${r.cpuRatio.toFixed(2)}×`,
  ]);
}

export function proxyTextTable(results) {
  const table = [HEADER, ...rows(results)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

/** Is the plain reverse proxy at most PROXY_TARGET× oidc-session's throughput? */
export function proxyVerdicts(results) {
  const ours = results['oidc-session'];
  if (ours?.slowdown === undefined) return [];
  const lines = [`${PROXY_LABELS[PROXY_REFERENCE]} serves ${ours.slowdown.toFixed(2)}× the requests/s of the oidc-session proxy — target ≤${PROXY_TARGET}× ${ours.slowdown <= PROXY_TARGET ? 'met' : 'not met'}`];
  if (ours.cpuRatio !== undefined) lines.push(`the oidc-session proxy spends ${ours.cpuRatio.toFixed(2)}× the CPU time per request of ${PROXY_LABELS[PROXY_REFERENCE]} (${ours.cpuPerRequest} µs against ${results[PROXY_REFERENCE].cpuPerRequest} µs)`);
  const viaFetch = results['plain-fetch'];
  // The session server forwards on node:http under nodeHandler, and on fetch with DPoP or server.handle:
  // this ratio is what the fetch transport alone would cost a hand-written proxy.
  if (viaFetch) lines.push(`the oidc-session proxy serves ${(ours.rps / viaFetch.rps).toFixed(2)}× the requests/s of ${PROXY_LABELS['plain-fetch']}`);
  return lines;
}

/** Rewrites the part between the bench-server-proxy markers in docs/benchmarks.md. */
export async function rewriteProxyDocs(path, report) {
  const doc = await readFile(path, 'utf8');
  const start = '<!-- bench-server-proxy:start -->';
  const end = '<!-- bench-server-proxy:end -->';
  if (!doc.includes(start) || !doc.includes(end)) throw new Error(`${path} has no ${start} … ${end} markers`);
  const s = report.settings;
  const b = report.build;
  const build = b.commit ? `oidc-session at ${b.commit}${b.uncommittedSrcChanges ? ' with uncommitted changes in src/' : ''}` : `oidc-session from ${b.dist}`;
  const generated = [
    start,
    `Run \`${report.command}\` on ${report.date.slice(0, 10)} — ${report.machine} (load average ${report.loadAverage.join(', ')} before the run), Node ${report.node}; ${build}, autocannon ${report.versions.autocannon}. ${s.connections} connections, pipelining ${s.pipelining}, ${s.warmupSeconds} s warm-up + ${s.durationSeconds} s per sample, then ${s.probeRequests} one-at-a-time requests; medians of ${s.rounds} rounds.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows(report.results).map((row) => `| ${row.join(' | ')} |`),
    '',
    ...proxyVerdicts(report.results).map((line) => `- ${line}`),
    end,
  ].join('\n');
  await writeFile(path, doc.replace(new RegExp(`${start}[\\s\\S]*${end}`), () => generated));
}
