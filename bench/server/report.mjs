// Turning the rounds into medians, the printed table, and the generated section of docs/benchmarks.md.
import { readFile, writeFile } from 'node:fs/promises';

export const TARGET = 1.5;
export const LABELS = {
  memory: { 'oidc-session': 'oidc-session, memoryStore()', 'express-session': 'express-session, MemoryStore' },
  redis: { 'oidc-session': 'oidc-session, redisStore()', 'express-session': 'express-session, connect-redis' },
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Medians over rounds of each metric, per configuration, and ours/theirs for throughput. */
export function summarize(samples) {
  const results = {};
  for (const [store, libraries] of Object.entries(samples)) {
    results[store] = {};
    for (const [library, rounds] of Object.entries(libraries)) {
      results[store][library] = {
        rps: Math.round(median(rounds.map((r) => r.rps))),
        p50: median(rounds.map((r) => r.p50)),
        p99: median(rounds.map((r) => r.p99)),
        non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
        rpsMin: Math.round(Math.min(...rounds.map((r) => r.rps))),
        rpsMax: Math.round(Math.max(...rounds.map((r) => r.rps))),
        rounds,
      };
    }
    const { 'oidc-session': ours, 'express-session': theirs } = results[store];
    if (ours && theirs) results[store].ratio = Number((ours.rps / theirs.rps).toFixed(2));
  }
  return results;
}

function rows(results) {
  const out = [];
  for (const [store, byLibrary] of Object.entries(results)) {
    for (const library of ['oidc-session', 'express-session']) {
      const r = byLibrary[library];
      if (!r) continue;
      const ratio = library === 'oidc-session' && byLibrary.ratio !== undefined ? `${byLibrary.ratio.toFixed(2)}×` : '';
      out.push([LABELS[store][library], String(r.rps), `${r.rpsMin}–${r.rpsMax}`, fmtMs(r.p50), fmtMs(r.p99), String(r.non2xx), ratio]);
    }
  }
  return out;
}

const fmtMs = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
const HEADER = ['', 'requests/s', 'range over rounds', 'p50 (ms)', 'p99 (ms)', 'non-2xx', 'ours/theirs (req/s)'];

/** The plain-text table for the terminal. */
export function textTable(results) {
  const table = [HEADER, ...rows(results)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

/** One line per store: is ours at least TARGET× theirs? */
export function verdicts(results) {
  return Object.entries(results)
    .filter(([, r]) => r.ratio !== undefined)
    .map(([store, r]) => `${store}: oidc-session ${r.ratio.toFixed(2)}× express-session's throughput — target ≥${TARGET}× ${r.ratio >= TARGET ? 'met' : 'not met'}`);
}

/** Rewrites the section between the bench-server markers in docs/benchmarks.md. */
export async function rewriteDocs(path, report) {
  const doc = await readFile(path, 'utf8');
  const start = '<!-- bench-server:start -->';
  const end = '<!-- bench-server:end -->';
  if (!doc.includes(start) || !doc.includes(end)) throw new Error(`${path} has no ${start} … ${end} markers`);
  const s = report.settings;
  const markdown = [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows(report.results).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const v = report.versions;
  const b = report.build;
  const build = b.commit ? `oidc-session at ${b.commit}${b.uncommittedSrcChanges ? ' with uncommitted changes in src/' : ''}` : `oidc-session from ${b.dist}`;
  const generated = [
    start,
    `Run \`${report.command}\` on ${report.date.slice(0, 10)} — ${report.machine} (load average ${report.loadAverage.join(', ')} before the run), Node ${report.node}; ${build}, express-session ${v['express-session']}, connect-redis ${v['connect-redis']}, redis (node-redis) ${v.redis}, redis-server ${v['redis-server']}, autocannon ${v.autocannon}. ${s.connections} connections, pipelining ${s.pipelining}, ${s.warmupSeconds} s warm-up + ${s.durationSeconds} s per sample, medians of ${s.rounds} rounds.`,
    '',
    markdown,
    '',
    ...verdicts(report.results).map((line) => `- ${line}`),
    end,
  ].join('\n');
  await writeFile(path, doc.replace(new RegExp(`${start}[\\s\\S]*${end}`), () => generated));
}
