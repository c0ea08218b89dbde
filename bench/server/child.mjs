// What both benchmark apps share: read the configuration the driver passed, listen on loopback, tell
// the driver when ready, and exit cleanly when asked (so `--cpu-prof` gets to write its profile).
import { createServer } from 'node:http';

/** The configuration from the driver: `{ store: 'memory' | 'redis', port, redisUrl?, issuer?, appOrigin }`. */
export const config = JSON.parse(process.argv[2] ?? '{}');

/** A node-redis v5 client, connected, with the error listener it needs; undefined for the memory store. */
export async function redisClient() {
  if (config.store !== 'redis') return undefined;
  const { createClient } = await import('redis');
  const client = createClient({ url: config.redisUrl });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * Serves `handler` on 127.0.0.1:`config.port` and reports `ready` to the driver.
 * @param {import('node:http').RequestListener} handler
 * @param {() => Promise<unknown>} [onStop] Releases what the app holds (its Redis client).
 */
export function serve(handler, onStop = async () => {}) {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.listen(config.port, '127.0.0.1', () => process.send?.({ ready: true }));
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await onStop().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message) => message === 'stop' && void stop());
  // The driver went away (crashed or was killed): do not linger.
  process.on('disconnect', () => void stop());
}

/** @param {import('node:http').ServerResponse} res */
export function sendJson(res, status, body) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}
