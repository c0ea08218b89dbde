// A small API for the proxy's tests: a real HTTP server on loopback that records every request it
// gets and answers by path, including the ways an upstream can misbehave (redirects elsewhere, cookies
// for the app's origin, hanging, answering slowly, breaking off).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../support/redis-server.mjs';

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query as the upstream received them, byte for byte. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Raw header lines (names as sent, repeats kept). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface UpstreamApi {
  readonly origin: string;
  readonly port: number;
  /** Every request received, oldest first. */
  readonly requests: UpstreamRequest[];
  /** Access tokens the API refuses with `invalid_token` (a token revoked before its expiry). */
  readonly refusedTokens: Set<string>;
  /** Requests still being answered (open sockets of `/hang` and `/drip`). */
  open(): number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** Token of an `Authorization: Bearer|DPoP <token>` header, if any. */
function tokenOf(req: IncomingMessage): string | undefined {
  return /^(?:Bearer|DPoP) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

const routes: Array<[RegExp, Handler]> = [
  [/^\/v1\/redirect-elsewhere/, (_req, res) => void res.writeHead(302, { location: 'https://attacker.example/steal' }).end()],
  [/^\/v1\/redirect-inside/, (_req, res) => void res.writeHead(302, { location: '/v1/echo/moved?x=1' }).end()],
  [/^\/v1\/set-cookie/, (_req, res) => sendJson(res, 200, { ok: true }, { 'set-cookie': ['__Host-oidc-session=planted; Path=/; Secure', 'other=1'] })],
  [/^\/v1\/public/, (_req, res) => sendJson(res, 200, { ok: true }, { 'cache-control': 'public, max-age=600, s-maxage=600' })],
  [/^\/v1\/no-cache-header/, (_req, res) => sendJson(res, 200, { ok: true })],
  [
    /^\/v1\/hop/,
    (_req, res) => {
      res.writeHead(200, { connection: 'x-internal, keep-alive', 'x-internal': 'secret', 'keep-alive': 'timeout=99', 'dpop-nonce': 'upstream-nonce', 'x-kept': 'yes' });
      res.end('hop');
    },
  ],
  [/^\/v1\/hang/, () => undefined],
  [
    // Sends "first" at once and "last" only when told (GET /v1/release): the proxy must pass the first chunk on before the last exists.
    /^\/v1\/drip/,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      drips.push(res);
    },
  ],
  [
    /^\/v1\/release/,
    (_req, res) => {
      for (const drip of drips.splice(0)) drip.end('last\n');
      res.end('released');
    },
  ],
  [
    /^\/v1\/break-off/,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.destroy(), 20);
    },
  ],
  [/^\/v1\/big/, (_req, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(3 * 1024 * 1024, 7))],
  [/^\/v1\/status\/(\d+)/, (req, res) => void res.writeHead(Number(/status\/(\d+)/.exec(req.url!)![1])).end()],
];
const drips: ServerResponse[] = [];

/** Starts the API on a free loopback port. Paths under `/v1/` only; anything else is `/v1/echo`. */
export async function startUpstreamApi(): Promise<UpstreamApi> {
  const port = await freePort();
  const requests: UpstreamRequest[] = [];
  const refusedTokens = new Set<string>();
  const sockets = new Set<import('node:net').Socket>();
  let pending = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
      pending++;
      res.on('close', () => pending--);
      const token = tokenOf(req);
      if (token && refusedTokens.has(token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", error_description="revoked"' });
        return res.end();
      }
      const route = routes.find(([pattern]) => pattern.test(req.url!));
      if (route) return route[1](req, res, body);
      sendJson(res, 200, { method: req.method, url: req.url, authorization: req.headers.authorization ?? null, bytes: body.length, sha: body.length ? hash(body) : null });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    refusedTokens,
    open: () => pending,
    close: async () => {
      for (const drip of drips.splice(0)) drip.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function hash(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
