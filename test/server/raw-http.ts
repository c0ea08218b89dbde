// HTTP/1.1 over a raw socket (node:net), so requests go out byte for byte as written: methods, targets
// and header bytes that fetch and node:http's client refuse to send.
import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  /** Lower-cased header names; repeated headers joined with ", " (set-cookie kept apart). */
  headers: Record<string, string>;
  setCookies: string[];
  body: string;
  /** The whole response as latin1 text. */
  text: string;
}

/**
 * Bytes of `text`: a character up to U+00FF is that byte (as Node reads header bytes, latin1);
 * anything above goes out as its UTF-8 bytes, as a browser or proxy would send it.
 */
export function wireBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const char of text) parts.push(char.codePointAt(0)! <= 0xff ? Buffer.from([char.codePointAt(0)!]) : Buffer.from(char, 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Sends one request (`Connection: close` added) and reads the answer until the server closes.
 * `headers` are written as given, in order, each `name: value` on its own line.
 */
export function rawRequest(port: number, method: string, target: string, headers: [string, string][] = [], body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${method} ${target.slice(0, 80)}`));
    }, 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    // A reset after a refused request is an answer too (status 0): the test checks what matters.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(Buffer.concat(chunks).toString('latin1')));
    });
    const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers.map(([name, value]) => `${name}: ${value}`)];
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    // Not end(): Node's server drops a request whose client half-closed before the answer (httpAllowHalfOpen).
    socket.write(Buffer.concat([wireBytes(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(body)]));
  });
}

function parse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  const setCookies: string[] = [];
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') setCookies.push(value);
    else headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = end < 0 ? '' : text.slice(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, setCookies, body, text };
}

function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}
