// A misbehaving upstream for the proxy's hostile tests: a node:http server on loopback whose routes
// answer with raw bytes written straight to the socket (statuses and framing node:http would refuse
// to produce), floods its answer as fast as the proxy takes it, or hangs, and that counts its open
// sockets so a test can tell whether the proxy let go of a connection.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { freePort } from '../support/redis-server.mjs';

export interface HostileRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
}

export interface HostileUpstream {
  readonly origin: string;
  /** Every request whose head arrived (bodies are not waited for), oldest first. */
  readonly requests: HostileRequest[];
  /** Open TCP connections from the proxy. */
  sockets(): number;
  /** Requests whose answer is not finished and whose connection is still open. */
  pending(): number;
  /** Bytes `/v1/flood` has handed to its socket so far (what the proxy accepted, plus kernel buffers). */
  flooded(): number;
  /** Bytes of request bodies received on `/v1/sink` so far. */
  sunk(): number;
  close(): Promise<void>;
}

const FLOOD_CAP = 96 * 1024 * 1024;

/** Writes `raw` as the whole answer, bypassing node:http's own checks. */
function rawAnswer(req: IncomingMessage, raw: string): void {
  req.socket.end(Buffer.from(raw, 'latin1'));
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const port = await freePort();
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  let flooded = 0;
  let sunk = 0;
  let pending = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders });
    pending++;
    let counted = true;
    const settle = () => counted && ((counted = false), pending--);
    res.on('close', settle);
    req.socket.on('close', settle);
    const path = req.url!;
    if (path.startsWith('/v1/status-')) {
      const status = /status-(\d+)/.exec(path)![1];
      return rawAnswer(req, `HTTP/1.1 ${status} Odd\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi`);
    }
    if (path.startsWith('/v1/dup-cl')) return rawAnswer(req, 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 7\r\nconnection: close\r\n\r\nhello!!');
    if (path.startsWith('/v1/cl-te')) return rawAnswer(req, 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    if (path.startsWith('/v1/hop-headers')) {
      return rawAnswer(
        req,
        [
          'HTTP/1.1 200 OK',
          'Connection: X-Leak, Keep-Alive,  X-Second ',
          'X-Leak: named by connection',
          'X-Second: also named',
          'Keep-Alive: timeout=99',
          'Proxy-Authenticate: Basic realm="upstream"',
          'Proxy-Connection: keep-alive',
          'Trailer: X-Trailer',
          'Upgrade: h2c',
          'SET-COOKIE: __Host-oidc-session=planted; Path=/; Secure',
          'set-cookie: other=1',
          'Set-Cookie2: legacy=1',
          'DPoP-Nonce: upstream-nonce',
          'X-Kept: yes',
          'content-type: text/plain',
          'content-length: 3',
          '',
          'hop',
        ].join('\r\n'),
      );
    }
    if (path.startsWith('/v1/cdn-cache')) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60', 'cdn-cache-control': 'public, max-age=600', 'surrogate-control': 'max-age=600' });
      return res.end('{}');
    }
    if (path.startsWith('/v1/redirect-307')) {
      res.writeHead(307, { location: `http://127.0.0.1:${port}/elsewhere-steal` });
      return res.end();
    }
    if (path.startsWith('/v1/gzip')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      return res.end(gzipSync('decoded by the proxy'));
    }
    if (path.startsWith('/v1/hang')) return undefined;
    if (path.startsWith('/v1/sink')) {
      // Reads the body and never answers: the proxy is mid-upload when the browser leaves.
      req.on('data', (chunk: Buffer) => (sunk += chunk.length));
      return undefined;
    }
    if (path.startsWith('/v1/flood')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 3);
      const pump = () => {
        while (flooded < FLOOD_CAP) {
          flooded += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (flooded = Math.min(flooded, FLOOD_CAP)));
      return pump();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url }));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    sockets: () => sockets.size,
    pending: () => pending,
    flooded: () => flooded,
    sunk: () => sunk,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
