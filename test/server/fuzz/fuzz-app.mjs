// The app under fuzz, in its own process so a request that kills a process cannot take the test runner
// with it. One session server (memory or Redis store) behind both adapters, as the README sets them up:
//   node:http  http.createServer(...) -> /api/me (any method) behind sessionMiddleware, the rest nodeHandler
//   Express 5  app.use(nodeHandler(server)); app.get/post('/api/me', sessionMiddleware(server), ...)
// plus a control port the fuzzed requests cannot reach: GET /events lists every uncaught exception and
// unhandled rejection so far. Those are recorded (not allowed to end the process) so that fast-check can
// keep shrinking after the first one; the adapters' open connections are cut at once so the request
// that caused it does not hang. Configured by FUZZ_CONFIG (JSON: serverModule, ports, store or redisUrl, options);
// prints "ready" once all three ports listen.
import { createServer } from 'node:http';
import express from 'express';
import { createClient } from 'redis';

const config = JSON.parse(process.env.FUZZ_CONFIG ?? '{}');
const { cookieStore, createSessionServer, memoryStore, nodeHandler, redisStore, sessionMiddleware } = await import(config.serverModule);

const events = [];
const servers = [];
const record = (kind) => (error) => {
  events.push({ kind, message: String(error?.stack ?? error).slice(0, 2000) });
  process.stderr.write(`${kind}: ${error?.stack ?? error}\n`);
  for (const server of servers) server.closeAllConnections();
};
process.on('uncaughtException', record('uncaughtException'));
process.on('unhandledRejection', record('unhandledRejection'));

let store;
if (config.store === 'cookie') {
  store = cookieStore();
} else if (config.redisUrl) {
  const client = createClient({ url: config.redisUrl });
  client.on('error', () => {});
  await client.connect();
  store = redisStore({ client });
} else {
  store = memoryStore();
}
const server = createSessionServer({ ...config.options, store });
const handle = nodeHandler(server);
const me = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify({ sub: req.oidcSession?.user.sub }));
};

// node:http, the README's setup. /api/me takes any method: unsafe ones need the CSRF proof (the default).
const required = sessionMiddleware(server, { required: true });
const plain = createServer((req, res) => {
  if (req.url === '/api/me') return required(req, res, () => me(req, res));
  handle(req, res);
});

// Express 5.
const app = express();
app.use(nodeHandler(server));
app.get('/api/me', sessionMiddleware(server, { required: true }), me);
app.post('/api/me', sessionMiddleware(server, { required: true }), me);
const viaExpress = createServer(app);

const control = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pid: process.pid, events }));
});

servers.push(plain, viaExpress);
// Never outlive the test run that started us (a killed vitest leaves no stray server behind).
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 1_000).unref();
const listen = (http, port) => new Promise((resolve) => http.listen(port, '127.0.0.1', resolve));
await Promise.all([listen(plain, config.nodePort), listen(viaExpress, config.expressPort), listen(control, config.controlPort)]);
process.stdout.write('ready\n');
