// Small helpers for the Web-standard responses the routes send and the requests they read.
import { isAuthError, type NetworkError } from '../errors/errors.js';
import { nextAttemptAt } from '../protocol/retry-policy.js';
import { SessionStoreError } from './errors.js';

/** Anything with request headers: a Web `Request`, or Node's `IncomingMessage` (headers as an object). */
export interface RequestLike {
  readonly headers: { get(name: string): string | null } | Readonly<Record<string, string | string[] | undefined>>;
}

/** The value of a request header, whatever the request type. */
export function header(request: RequestLike, name: string): string | undefined {
  const headers = request.headers as { get?: unknown } & Record<string, unknown>;
  if (typeof headers.get === 'function') return (headers.get as (n: string) => string | null).call(headers, name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value.join('; ') : typeof value === 'string' ? value : undefined;
}

/** A JSON response that no cache keeps, with `extra` headers (e.g. `allow`, `retry-after`). */
export function json(status: number, body: unknown, cookies: readonly string[] = [], extra: Readonly<Record<string, string>> = {}): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store', ...extra });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * The answer for an error a route threw, by whose failure it is (a 5xx only for ours or upstream's):
 * - the session store (`SessionStoreError`): 503 `session_store_unavailable`;
 * - no usable session (`LoginRequiredError`, from any route): 401 `login_required`;
 * - the provider unreachable, timing out or saying "later" (`NetworkError`: 429, 5xx, transport): 502
 *   `provider_unavailable` with `Retry-After` (RFC 9110 §10.2.3) in seconds until `retryAt` (the
 *   back-off), or until the policy's first wait when the error has none;
 * - any other error from the provider's answers (`OAuthError`, `ProtocolError`): 502 `provider_error`;
 * - anything else (`ConfigError`, a bug of ours): 500 `server_error`. No client input reaches it: every
 *   request field a route reads is parsed into "absent" or a typed refusal first.
 */
export function errorResponse(error: unknown, now: number): Response {
  if (error instanceof SessionStoreError) return json(503, { error: 'session_store_unavailable' });
  if (!isAuthError(error) || error.code === 'invalid_config') return json(500, { error: 'server_error' });
  if (error.code === 'login_required') return json(401, { error: 'login_required' });
  if (error.code === 'storage_unavailable') return json(503, { error: 'session_store_unavailable' });
  if (error.code !== 'network_error' && error.code !== 'timeout') return json(502, { error: 'provider_error' });
  const retryAt = (error as NetworkError).retryAt ?? nextAttemptAt(now, 1);
  return json(502, { error: 'provider_unavailable' }, [], { 'retry-after': String(Math.max(1, Math.ceil((retryAt - now) / 1000))) });
}

/**
 * A 303 redirect that no cache keeps (303: the browser follows it with a GET) and whose URL no later
 * page learns from a Referer (RFC 9700 §4.2.4: a callback URL carries the code).
 */
export function redirect(location: string, cookies: readonly string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/**
 * A body read whole, or undefined once it passes `max` bytes (the rest is not read): a peer cannot make
 * the server buffer more than it chose to, whatever `Content-Length` said.
 */
export async function readBounded(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, (at += chunk.byteLength) - chunk.byteLength);
  return bytes;
}
