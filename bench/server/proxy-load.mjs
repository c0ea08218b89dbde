// The proxy section's load: autocannon as in load.mjs (a warm-up run discarded, then the measured
// run; any non-2xx, error or timeout fails it), with the headers each configuration needs, then a
// latency probe. autocannon's latencies are whole milliseconds, and under 50 connections mostly
// queueing; what a hop adds to one request is tens of microseconds, so the probe sends requests one
// after another on a single kept-alive connection and times each with hrtime.
// Requests per second depend on how the machine's cores are shared between autocannon, the upstream
// and the proxy; the proxy process's own CPU time per request (user + system, from /proc) does not,
// and says what a proxy costs to run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

/** Clock ticks per second of /proc's CPU times. */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of process `pid` in µs, or undefined where /proc is not there. */
function cpuMicros(pid) {
  try {
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is 14th, stime 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS;
  } catch {
    return undefined;
  }
}

/**
 * @param {{ url: string, headers: Record<string, string>, pid?: number, connections: number, pipelining: number, warmupSeconds: number, durationSeconds: number, probeRequests: number }} options
 *   `pid`: the proxy's process, whose CPU time per request is measured over the measured run.
 * @returns {Promise<{ rps: number, p50: number, p99: number, requests: number, non2xx: number, probeP50: number, probeP99: number, cpuPerRequest?: number }>}
 *   `probeP50`/`probeP99` and `cpuPerRequest` in microseconds.
 */
export async function measureProxy({ url, headers, pid, connections, pipelining, warmupSeconds, durationSeconds, probeRequests }) {
  const run = async (duration) => {
    const result = await autocannon({ url, connections, pipelining, duration, headers });
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0 || result['2xx'] === 0) {
      const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}: ${count}`).join(', ');
      throw new Error(`${url}: ${result.non2xx} non-2xx (${codes || 'none'}), ${result.errors} errors, ${result.timeouts} timeouts, ${result['2xx']} 2xx`);
    }
    return result;
  };
  await run(warmupSeconds);
  const cpuBefore = pid === undefined ? undefined : cpuMicros(pid);
  const result = await run(durationSeconds);
  const cpuAfter = pid === undefined ? undefined : cpuMicros(pid);
  const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? { cpuPerRequest: (cpuAfter - cpuBefore) / result['2xx'] } : {};
  const probe = await probeLatency(url, headers, probeRequests);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result['2xx'], non2xx: result.non2xx, ...probe, ...cpu };
}

/** Sequential requests on one connection (a tenth more first, discarded): p50 and p99 in µs. */
async function probeLatency(url, headers, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      const req = request(url, { agent, headers }, (res) => {
        res.resume();
        res.once('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1000) : reject(new Error(`${url}: probe got ${res.statusCode}`))));
      });
      req.once('error', reject);
      req.end();
    });
  try {
    for (let i = 0; i < Math.ceil(count / 10); i++) await once();
    const times = [];
    for (let i = 0; i < count; i++) times.push(await once());
    times.sort((a, b) => a - b);
    const at = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
    return { probeP50: at(0.5), probeP99: at(0.99) };
  } finally {
    agent.destroy();
  }
}
