// HTTP/1.1 over a bare TCP socket: the request goes out byte for byte as generated (fetch and
// http.request refuse or rewrite much of what an attacker sends), the response is read until the
// server closes the connection (every request says `Connection: close`).
import { connect } from 'node:net';

/** One request as bytes on the wire: every string is written as Latin-1, one byte per character. */
export interface RawRequest {
  method: string;
  target: string;
  /** In order, duplicates allowed. A `host` header is added first unless `omitHost`. */
  headers: [string, string][];
  body?: string;
  /** `content-length` (default) or `chunked` framing for `body`. */
  framing?: 'length' | 'chunked';
  omitHost?: boolean;
}

export interface RawResponse {
  status: number;
  /** Lower-cased names; repeated headers keep every value. */
  headers: Map<string, string[]>;
  body: string;
}

/**
 * What became of a request: a response, the connection closed without one (Node does that for
 * CONNECT without a listener, and the fuzz app does it when a request killed a handler), or nothing
 * within the deadline.
 */
export type Outcome = { kind: 'response'; response: RawResponse } | { kind: 'closed' } | { kind: 'timeout' };

export function serialize(request: RawRequest, host: string): Buffer {
  let head = `${request.method} ${request.target} HTTP/1.1\r\n`;
  if (!request.omitHost) head += `host: ${host}\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  head += 'connection: close\r\n';
  const body = request.body;
  if (body !== undefined) {
    if (request.framing === 'chunked') {
      head += 'transfer-encoding: chunked\r\n\r\n';
      return Buffer.from(`${head}${body.length ? `${Buffer.byteLength(body, 'latin1').toString(16)}\r\n${body}\r\n` : ''}0\r\n\r\n`, 'latin1');
    }
    head += `content-length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
  }
  return Buffer.from(`${head}\r\n${body ?? ''}`, 'latin1');
}

/**
 * Sends `request` to 127.0.0.1:`port` and reads what comes back; with `abortAfterMs`, the client
 * resets the connection that long after writing (a closed tab, a killed client), before any answer.
 */
export function send(port: number, request: RawRequest | Buffer, options: { host?: string; timeoutMs?: number; abortAfterMs?: number } = {}): Promise<Outcome> {
  const bytes = Buffer.isBuffer(request) ? request : serialize(request, options.host ?? `localhost:${port}`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (outcome?: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      const response = parseResponse(data);
      resolve(outcome ?? (response ? { kind: 'response', response } : { kind: 'closed' }));
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), options.timeoutMs ?? 5_000);
    socket.on('connect', () => {
      socket.write(bytes);
      if (options.abortAfterMs !== undefined) setTimeout(() => (socket.resetAndDestroy(), finish({ kind: 'closed' })), options.abortAfterMs);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    // A reset after a complete response (the server closed while we were still writing) is still a response.
    socket.on('error', () => finish());
    socket.on('close', () => finish());
  });
}

/** The first response in `data`, or undefined when it does not even hold a status line and headers. */
export function parseResponse(data: Buffer): RawResponse | undefined {
  let text = data.toString('latin1');
  // Skip interim responses (`Expect: 100-continue` gets a 100 first).
  while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.includes('\r\n\r\n')) text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) return undefined;
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  let body = text.slice(end + 4);
  if (headers.get('transfer-encoding')?.[0] === 'chunked') body = dechunk(body);
  return { status: Number(match[1]), headers, body };
}

function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol < 0) return out;
    const size = parseInt(text.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** True for the bare 4xx Node itself sends (bad bytes, headers too large, no Host, bad Expect) before any listener runs. */
export function isParserRejection(response: RawResponse): boolean {
  return [400, 413, 414, 417, 431].includes(response.status) && !response.headers.has('content-type');
}

/**
 * Every response in `data`, in order (pipelined requests on one connection), framed by
 * Content-Length or chunked coding; interim 1xx answers are skipped. Not for answers to HEAD.
 */
export function parseResponses(data: Buffer): RawResponse[] {
  const text = data.toString('latin1');
  const out: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = parseResponse(Buffer.from(text.slice(at, end + 4), 'latin1'));
    if (!head) break;
    at = end + 4;
    if (head.status < 200) continue;
    let body = '';
    if (head.headers.get('transfer-encoding')?.[0] === 'chunked') {
      const close = text.indexOf('\r\n0\r\n\r\n', at - 2);
      const last = close < 0 ? text.length : close + 7;
      body = dechunk(text.slice(at, last));
      at = last;
    } else {
      const length = Number(head.headers.get('content-length')?.[0] ?? (head.status === 204 || head.status === 304 ? 0 : text.length - at));
      body = text.slice(at, at + length);
      at += length;
    }
    out.push({ ...head, body });
  }
  return out;
}
