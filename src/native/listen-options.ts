import { ConfigError } from '../errors/errors.js';

/** Options of {@link listenForCallback}. All optional. */
export interface ListenOptions {
  /**
   * The loopback address to listen on. Default `127.0.0.1`. Never `localhost` (it may resolve to
   * another interface, or to the other address family than the browser picks) nor `0.0.0.0`
   * (reachable from the network): RFC 8252 §7.3 and §8.3.
   */
  host?: '127.0.0.1' | '::1';
  /**
   * Path of the redirect URI: `/` or segments of letters, digits and `-._~`, e.g. `/callback`
   * (the default). Compared byte for byte with the request's path.
   */
  path?: string;
  /** How long to wait for the callback, in milliseconds. Default 300,000 (5 minutes). */
  timeoutMs?: number;
  /** Ends the wait: `callback` rejects with a {@link LoopbackError} (`reason: 'aborted'`). */
  signal?: AbortSignal;
  /**
   * The `state` of the authorization request, when known before listening. A response carrying
   * another `state` is refused (400) and the listener keeps waiting, so another program on the
   * machine that finds the port cannot end the login.
   */
  expectedState?: string;
  /**
   * What the browser gets once the callback arrived: an HTML page of your own (`{ html }`, served
   * with a Content-Security-Policy that allows inline styles and `data:` images, nothing else), or a
   * redirect to an `http:` or `https:` URL (`{ redirectTo }`). Default: a short page saying the
   * window can be closed.
   */
  page?: PageOption;
}

/** The app's page for the browser, or where to send it: see {@link ListenOptions.page}. */
export type PageOption = { html: string } | { redirectTo: string | URL };

/** What the browser gets once the callback arrived. */
export type SuccessPage = { readonly html: string } | { readonly redirectTo: string };

/** {@link ListenOptions} after validation and defaults. */
export interface ResolvedListenOptions {
  readonly host: '127.0.0.1' | '::1';
  readonly path: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly expectedState: string | undefined;
  readonly page: SuccessPage | undefined;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
// setTimeout fires at once for anything above 2^31 - 1 ms (about 24.8 days).
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const SEGMENT = /^[A-Za-z0-9._~-]+$/;
const KNOWN = ['host', 'path', 'timeoutMs', 'signal', 'expectedState', 'page'];

/** Validates {@link ListenOptions} and applies defaults. Throws {@link ConfigError} naming the first bad option. */
export function resolveListenOptions(options: ListenOptions = {}): ResolvedListenOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'expected an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new ConfigError(key, 'unknown option');
  }
  const { host = '127.0.0.1', path = '/callback', timeoutMs = DEFAULT_TIMEOUT_MS, signal, expectedState, page } = options;
  if (host !== '127.0.0.1' && host !== '::1') throw new ConfigError('host', 'expected "127.0.0.1" or "::1"');
  if (!isPlainPath(path)) throw new ConfigError('path', 'expected "/" or segments of letters, digits and -._~');
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new ConfigError('timeoutMs', `expected milliseconds above 0, at most ${MAX_TIMEOUT_MS}`);
  }
  if (signal !== undefined && !isSignal(signal)) throw new ConfigError('signal', 'expected an AbortSignal');
  if (expectedState !== undefined && (typeof expectedState !== 'string' || !expectedState)) {
    throw new ConfigError('expectedState', 'expected a non-empty string');
  }
  return { host, path, timeoutMs, signal, expectedState, page: page === undefined ? undefined : successPage(page) };
}

/**
 * True for a path whose bytes a browser sends unchanged: no percent-encoding, no dot segments (the
 * browser would resolve them away), no empty segment. The request's path is then compared as sent.
 */
function isPlainPath(path: unknown): path is string {
  if (typeof path !== 'string' || !path.startsWith('/')) return false;
  if (path === '/') return true;
  const segments = path.slice(1).split('/');
  // A trailing slash leaves one empty last segment, which is fine.
  if (segments.at(-1) === '') segments.pop();
  return segments.every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..');
}

function isSignal(value: unknown): value is AbortSignal {
  return typeof value === 'object' && value !== null && typeof (value as AbortSignal).addEventListener === 'function' && 'aborted' in value;
}

function successPage(page: unknown): SuccessPage {
  if (typeof page !== 'object' || page === null) throw new ConfigError('page', 'expected { html } or { redirectTo }');
  const { html, redirectTo } = page as { html?: unknown; redirectTo?: unknown };
  if ((html === undefined) === (redirectTo === undefined)) throw new ConfigError('page', 'expected exactly one of html and redirectTo');
  if (html !== undefined) {
    if (typeof html !== 'string') throw new ConfigError('page', 'html must be a string');
    return { html };
  }
  const url = toUrl(redirectTo);
  // Only web URLs: a javascript:, data: or file: Location would run or read something in the browser.
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new ConfigError('page', 'redirectTo must be an http: or https: URL');
  return { redirectTo: url.href };
}

function toUrl(value: unknown): URL | undefined {
  try {
    return value instanceof URL || typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}
