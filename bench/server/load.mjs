// The load: autocannon's programmatic API, in the driver's process, against one app on loopback,
// every request carrying the session cookie. A warm-up run (discarded) lets the JIT and the
// connections settle; the measured run follows at once. Any non-2xx, error or timeout fails the run.
import autocannon from 'autocannon';

/**
 * @param {{ url: string, cookie: string, connections: number, pipelining: number, warmupSeconds: number, durationSeconds: number }} options
 * @returns {Promise<{ rps: number, p50: number, p99: number, requests: number, non2xx: number }>}
 */
export async function measure({ url, cookie, connections, pipelining, warmupSeconds, durationSeconds }) {
  const run = async (duration) => {
    const result = await autocannon({ url, connections, pipelining, duration, headers: { cookie } });
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0 || result['2xx'] === 0) {
      const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}: ${count}`).join(', ');
      throw new Error(`${url}: ${result.non2xx} non-2xx (${codes || 'none'}), ${result.errors} errors, ${result.timeouts} timeouts, ${result['2xx']} 2xx`);
    }
    return result;
  };
  await run(warmupSeconds);
  const result = await run(durationSeconds);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result['2xx'],
    non2xx: result.non2xx,
  };
}
