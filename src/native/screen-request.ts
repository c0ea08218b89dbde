import type { LoopbackRequest } from './node-http.js';

/** What a request must match to be the login response. */
export interface CallbackTarget {
  /** The one `Host` header value accepted: `127.0.0.1:{port}` or `[::1]:{port}`. */
  readonly authority: string;
  /** The redirect URI's path, compared byte for byte. */
  readonly path: string;
  /** Whether the response's (decoded) `state` may end the wait. */
  readonly acceptState: (state: string) => boolean;
}

/** Statuses of a refused request. */
export type RefusalStatus = 400 | 403 | 404 | 405 | 414 | 421;

/** The decision about one request: the login response (its raw query), or a refusal. */
export type Verdict =
  | { readonly accept: true; readonly query: string }
  | { readonly accept: false; readonly status: RefusalStatus; readonly message: string };

/** Longest request target accepted, in characters: far above any real login response. */
export const MAX_TARGET_LENGTH = 8 * 1024;

/**
 * Decides whether `request` is the login response (RFC 6749 §4.1.2: a GET to the redirect URI
 * with `state` and `code` or `error`) sent by a browser navigating to this listener. Only headers
 * and the request target are read; nothing here throws for any input.
 */
export function screenRequest(request: LoopbackRequest, target: CallbackTarget): Verdict {
  const headers = readHeaders(request.rawHeaders);
  // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends its own name.
  if (headers.host.length !== 1) return refuse(400, 'expected one Host header');
  if (headers.host[0]!.toLowerCase() !== target.authority) return refuse(421, 'wrong Host');
  // A page's fetch or form carries Origin; the provider's redirect is a navigation, which does not.
  if (headers.origin) return refuse(403, 'cross-origin request');
  // Where browsers say what a request is for (Fetch Metadata), an <img>, a no-cors fetch or an
  // iframe from any web page, none of which carries Origin, is refused too: only a top-level
  // navigation qualifies. "cors" stays allowed: a browser's cross-origin one carries Origin (refused
  // above), and Node's fetch labels every request so.
  if (headers.mode !== undefined && headers.mode !== 'navigate' && headers.mode !== 'cors') return refuse(403, 'not a navigation');
  if (headers.dest !== undefined && headers.dest !== 'document' && headers.dest !== 'empty') return refuse(403, 'not a top-level navigation');

  const url = request.url;
  if (typeof url !== 'string') return refuse(400, 'no request target');
  if (url.length > MAX_TARGET_LENGTH) return refuse(414, 'request target too long');
  // Origin-form only. Never resolved against a base URL: "//host/..." would become another host.
  if (!url.startsWith('/') || url.includes('#')) return refuse(400, 'unexpected request target');
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const query = mark < 0 ? '' : url.slice(mark + 1);
  if (path !== target.path) return refuse(404, 'not found');
  if (request.method !== 'GET') return refuse(405, 'only GET');

  // URLSearchParams never throws: malformed percent-escapes stay as they are.
  const params = new URLSearchParams(query);
  const states = params.getAll('state');
  if (states.length !== 1 || !states[0]) return refuse(400, 'not a login response');
  if (!params.get('code') && !params.get('error')) return refuse(400, 'not a login response');
  if (!target.acceptState(states[0])) return refuse(400, 'not the login in progress');
  return { accept: true, query };
}

/**
 * String equality in time that depends only on the lengths, for comparing a `state` sent by
 * someone probing the port with the real one.
 */
export function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

interface ScreenedHeaders {
  host: string[];
  origin: boolean;
  mode: string | undefined;
  dest: string | undefined;
}

function readHeaders(raw: readonly string[]): ScreenedHeaders {
  const headers: ScreenedHeaders = { host: [], origin: false, mode: undefined, dest: undefined };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'host') headers.host.push(value);
    else if (name === 'origin') headers.origin = true;
    else if (name === 'sec-fetch-mode') headers.mode = value.toLowerCase();
    else if (name === 'sec-fetch-dest') headers.dest = value.toLowerCase();
  }
  return headers;
}

function refuse(status: RefusalStatus, message: string): Verdict {
  return { accept: false, status, message };
}
