// Byte-exact HTTP over node:net for the loopback listener's tests: fetch cannot send a foreign Host,
// a malformed request line or a bare LF, and rewrites Sec-Fetch-Mode.
import { connect, createServer, type Socket } from 'node:net';

export interface RawAnswer {
  /** 0 when the connection ended (or was reset) without a status line. */
  status: number;
  /** Lower-cased names; repeated ones joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Everything received, as latin1. */
  text: string;
}

/** What a browser sends along with a top-level navigation to the listener. */
export const NAVIGATION_HEADERS: readonly string[] = ['Sec-Fetch-Mode: navigate', 'Sec-Fetch-Dest: document', 'Sec-Fetch-Site: cross-site', 'Accept: text/html'];

/** `GET {target}` with the given Host (default: the listener's own authority) and header lines. */
export function request(port: number, target: string, options: { method?: string; host?: string | null; headers?: readonly string[]; address?: string } = {}): Promise<RawAnswer> {
  const address = options.address ?? '127.0.0.1';
  const host = options.host === undefined ? `${address.includes(':') ? `[${address}]` : address}:${port}` : options.host;
  const lines = [`${options.method ?? 'GET'} ${target} HTTP/1.1`, ...(host === null ? [] : [`Host: ${host}`]), ...(options.headers ?? NAVIGATION_HEADERS), 'Connection: close'];
  return exchange(port, Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), address);
}

/**
 * Sends `bytes` as they are and collects the answer until the server closes the connection. Bytes
 * that are not a whole request yet (an empty line, a missing header end) get no answer: after
 * `quietMs` of silence this side half-closes, and the server then drops the connection.
 */
export function exchange(port: number, bytes: Buffer | string, address = '127.0.0.1', quietMs = 300): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, address);
    const chunks: Buffer[] = [];
    const quiet = setTimeout(() => socket.end(), quietMs);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of answer within 5 s to ${JSON.stringify(bytes.toString().slice(0, 60))}`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => {
      clearTimeout(quiet);
      chunks.push(chunk);
    });
    // A reset (after a refused request, or by a closing listener) is an answer too: status 0.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(quiet);
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** Resolves with the error code of a connection attempt (`ECONNREFUSED` once a listener closed), or `connected`. */
export function connectOutcome(port: number, address = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, address);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Opens a connection and leaves it open (as a browser's preconnect does); resolves once connected. */
export function idleConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Whether this machine lets a process listen on `address` (IPv6 may be disabled). */
export function canListenOn(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}

function parse(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: end < 0 ? '' : text.slice(end + 4), text };
}
