// The API proxy of the backend-for-frontend: a browser request to a declared path goes to its
// upstream with the session's access token instead of the browser's cookies, and the answer comes
// back as it streams. Only the declared upstream can ever be reached: the path is appended to it,
// never resolved, and redirects are handed back, not followed.
import { isAuthError } from '../../errors/errors.js';
import { SessionStoreError } from '../errors.js';
import { sendWithSessionToken } from '../api-fetch.js';
import { isSameOriginRequest } from '../csrf.js';
import { json, readBounded, type RequestLike } from '../http-messages.js';
import type { ResolvedDPoP } from '../options.js';
import type { RelyingParty, ServerTokens } from '../relying-party.js';
import type { Session } from '../sessions.js';
import { matchApiRoute, type ResolvedApiRoute } from './api-routes.js';
import { appLocation, connectionFields, forwardsRequestField, forwardsResponseField, isForwardableStatus, privateCacheControl } from './fields.js';

/** Bodies up to this size are buffered, so that a refresh-and-retry can send them again; larger ones stream once. */
export const REPLAYABLE_BODY_BYTES = 64 * 1024;

/** fetch frames the request body itself, and decodes the answer's: their length (and the answer's encoding) no longer hold. */
const FETCH_REQUEST_FRAMING = new Set(['content-length']);
const FETCH_RESPONSE_FRAMING = new Set(['content-length', 'content-encoding']);

/** Answers made by {@link forwardToApi} from an upstream's: the Node adapter streams these. */
const proxiedAnswers = new WeakSet<Response>();

/** True for a response that carries an upstream API's body (stream it; do not buffer it). */
export function isProxiedAnswer(response: Response): boolean {
  return proxiedAnswers.has(response);
}

export interface ProxyContext {
  readonly appOrigin: string;
  /** Every declared route: a path is checked against all of them, not only the one it matched. */
  readonly routes: readonly ResolvedApiRoute[];
  readonly rp: RelyingParty;
  readonly dpop: ResolvedDPoP | undefined;
  /** The scope asked for at login: the granted scope when the token response named none (RFC 6749 §5.1). */
  readonly requestedScope: string;
  /** The live session behind the request, sliding its idle expiry, and a renewed cookie to set (cookie mode). */
  readonly session: (request: RequestLike) => Promise<{ session: Session; cookies: readonly string[] } | undefined>;
  /** The session's tokens (see Sessions.tokens), those issued for `resource` when a route names one. */
  readonly tokens: (session: Session, force: boolean, resource: string | undefined) => Promise<ServerTokens>;
  readonly fetch: typeof fetch;
  /** The answer for an error the session layer threw (the store, the provider), as the other routes give it. */
  readonly fail: (error: unknown) => Response;
}

class ProxyRefusal extends Error {
  constructor(readonly response: Response) {
    super('refused');
  }
}

/**
 * Forwards `request` (already matched to `route`) and answers what the upstream answered, or one of
 * our own JSON errors: 400 (a path that could reach elsewhere), 401 `login_required`, 403
 * `csrf_check_failed` / `insufficient_scope`, 413 `body_too_large`, 502 `upstream_unavailable`,
 * 504 `upstream_timeout`. Throws only what the session layer throws (the store, the provider).
 */
export async function forwardToApi(request: Request, route: ResolvedApiRoute, context: ProxyContext): Promise<Response> {
  const routes = context.routes;
  // Before the session is read: a forged request learns nothing and slides nothing. Every method,
  // GET included: an API's GET may change things, and the browser client always sends the header.
  if (!isSameOriginRequest(request, context.appOrigin)) return json(403, { error: 'csrf_check_failed' });
  const target = upstreamUrl(new URL(request.url), route, routes);
  if (!target) return json(400, { error: 'invalid_request', error_description: 'the path cannot be forwarded' });
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (!(declared <= route.maxBodyBytes)) return json(413, { error: 'body_too_large' });

  const found = await context.session(request);
  if (!found && !route.anonymous) return json(401, { error: 'login_required' });
  const headers = forwardedHeaders(request.headers);
  const body = await requestBody(request, route, declared);
  if (body === 'too large') return json(413, { error: 'body_too_large' });
  if (body === 'unreadable') return json(400, { error: 'invalid_request', error_description: 'the request body broke off' });

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), route.timeoutMs);
  const signal = AbortSignal.any([request.signal, deadline.signal]);
  const parts = { method: request.method, url: target, headers, body: body.stream ?? body.buffer, signal };
  let upstream: Response;
  try {
    upstream = found
      ? await sendWithSessionToken(
          context.rp,
          context.dpop,
          (force) => context.tokens(found.session, force, route.resource),
          parts,
          () => body.stream === undefined,
          (tokens) => checkScopes(tokens, route, context.requestedScope),
        )
      : await context.fetch(target.href, { method: request.method, headers, body: parts.body ?? null, redirect: 'manual', signal, ...(body.stream ? { duplex: 'half' } : {}) } as RequestInit);
  } catch (error) {
    if (error instanceof ProxyRefusal) return error.response;
    // The session layer's own failures (the store, the provider, a session that cannot go on) are the
    // caller's to map, whenever they happen; anything else is the way to the upstream failing.
    if (isAuthError(error) || error instanceof SessionStoreError) throw error;
    if (body.failed() === 'too large') return json(413, { error: 'body_too_large' });
    if (body.failed() === 'unreadable') return json(400, { error: 'invalid_request', error_description: 'the request body broke off' });
    if (deadline.signal.aborted) return json(504, { error: 'upstream_timeout' });
    return json(502, { error: 'upstream_unavailable' });
  } finally {
    clearTimeout(timer);
  }
  return answer(request, upstream, route, target, found?.cookies ?? [], Boolean(found));
}

/** A request path's parts: as the URL parser gives them (`pathname` normalised, `search` '' or `?...`). */
export interface RequestPath {
  readonly pathname: string;
  readonly search: string;
}

/**
 * Segments made only of characters every URL parser and server leaves as they are (RFC 3986
 * unreserved and sub-delims but `;`, and `:` `@`): no `%` to decode, no `;` parameters, no backslash.
 */
const VERBATIM_REST = /^(\/[\w\-.~!$&'()*+,=:@]*)*$/;
const UNSAFE_DECODED = /[%;\\\u0000-\u001f\u007f]|\/\/|(^|\/)\.\.?(\/|$)/;

/**
 * The upstream path and query (origin-relative, the origin is `route.upstream`'s) for a request path:
 * the rest after the declared path appended to the upstream's path, the query kept. Undefined for a
 * path an upstream might read as another one, since servers decode, merge and strip paths in their
 * own ways: malformed or overlong percent-encoding, an encoded slash, backslash or dot, anything that
 * still holds `%` once decoded (double encoding), `;` path parameters (`..;/` is `..` to some
 * servers), backslashes, control characters, empty segments (`//host` reads as another host), and any
 * path whose decoded form falls under another declared route.
 */
export function upstreamPathOf(url: RequestPath, route: ResolvedApiRoute, routes: readonly ResolvedApiRoute[]): string | undefined {
  const rest = url.pathname.slice(route.path.length);
  // Nothing to decode, and nothing a URL parser would rewrite once dot segments and empty segments are
  // refused: the path is the concatenation, without the parse (a tenth of the proxy's time, bench:server).
  if (!VERBATIM_REST.test(rest)) return upstreamPathByParse(url, route, routes);
  if (UNSAFE_DECODED.test(rest) || matchApiRoute(routes, route.path + rest) !== route) return undefined;
  return (`${route.upstreamPath}${rest}` || '/') + url.search;
}

/** {@link upstreamPathOf} for any path: decoded to check it, then the upstream URL parsed. Exported for the tests that hold the two to one answer. */
export function upstreamPathByParse(url: RequestPath, route: ResolvedApiRoute, routes: readonly ResolvedApiRoute[]): string | undefined {
  const rest = url.pathname.slice(route.path.length);
  if (/%(?![0-9a-f]{2})|%(2f|5c|2e)/i.test(rest)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  if (UNSAFE_DECODED.test(decoded)) return undefined;
  // `/api/orders/%61dmin` is `/api/orders/admin` to an upstream that decodes: it must obey that route's rules.
  if (matchApiRoute(routes, route.path + decoded) !== route) return undefined;
  const base = route.upstreamPath;
  const target = new URL(`${route.upstream.origin}${base}${rest}${url.search}`);
  // The URL parser could only have moved it elsewhere on a path it rewrites: say no rather than send it.
  if (target.origin !== route.upstream.origin || !(target.pathname === (base || '/') || target.pathname.startsWith(`${base}/`))) return undefined;
  return target.pathname + target.search;
}

/** {@link upstreamPathOf} as an absolute URL on the route's upstream. */
export function upstreamUrl(url: RequestPath, route: ResolvedApiRoute, routes: readonly ResolvedApiRoute[]): URL | undefined {
  const path = upstreamPathOf(url, route, routes);
  return path === undefined ? undefined : new URL(route.upstream.origin + path);
}

function forwardedHeaders(incoming: Headers): Headers {
  const named = connectionFields(incoming.get('connection'));
  const headers = new Headers();
  incoming.forEach((value, name) => {
    if (forwardsRequestField(name, named) && !FETCH_REQUEST_FRAMING.has(name)) headers.set(name, value);
  });
  return headers;
}

interface ForwardedBody {
  readonly buffer?: ArrayBuffer;
  readonly stream?: ReadableStream<Uint8Array>;
  /** Why the stream failed, once it did (the upstream request then fails too): past the limit, or the client's body broke off. */
  readonly failed: () => 'too large' | 'unreadable' | undefined;
}

/** The body: none, a buffer when small and its size declared, else a stream that fails past the limit. */
async function requestBody(request: Request, route: ResolvedApiRoute, declared: number): Promise<ForwardedBody | 'too large' | 'unreadable'> {
  if (!request.body || request.method === 'GET' || request.method === 'HEAD') return { failed: () => undefined };
  if (request.headers.has('content-length') && declared <= REPLAYABLE_BODY_BYTES) {
    let bytes: Uint8Array<ArrayBuffer> | undefined;
    try {
      bytes = await readBounded(request.body, Math.min(route.maxBodyBytes, REPLAYABLE_BODY_BYTES));
    } catch {
      return 'unreadable';
    }
    if (!bytes) return 'too large';
    return { buffer: bytes.buffer, failed: () => undefined };
  }
  const reader = request.body.getReader();
  let size = 0;
  let failure: 'too large' | 'unreadable' | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        failure = 'unreadable';
        return controller.error(error);
      }
      if (next.done) return controller.close();
      size += next.value.byteLength;
      if (size > route.maxBodyBytes) {
        failure = 'too large';
        void reader.cancel().catch(() => undefined);
        return controller.error(new RangeError('body too large'));
      }
      controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, failed: () => failure };
}

function checkScopes(tokens: ServerTokens, route: ResolvedApiRoute, requestedScope: string): void {
  const refusal = scopeRefusal(tokens, route, requestedScope);
  if (refusal) throw new ProxyRefusal(refusal);
}

/** 403 `insufficient_scope` when the tokens were not granted every scope the route requires, else undefined. */
export function scopeRefusal(tokens: ServerTokens, route: ResolvedApiRoute, requestedScope: string): Response | undefined {
  if (!route.requiredScopes.length) return undefined;
  const granted = new Set((tokens.scope ?? requestedScope).split(' '));
  if (route.requiredScopes.every((scope) => granted.has(scope))) return undefined;
  return json(403, { error: 'insufficient_scope', scope: route.requiredScopes.join(' ') });
}

/** The upstream's answer as the browser gets it: its status and body (streamed), its fields minus the hop-by-hop and unsafe ones. */
function answer(request: Request, upstream: Response, route: ResolvedApiRoute, target: URL, cookies: readonly string[], withToken: boolean): Response {
  // A status HTTP does not define (600 and up) cannot be passed on: the upstream is broken.
  if (!isForwardableStatus(upstream.status)) {
    void upstream.body?.cancel().catch(() => undefined);
    return json(502, { error: 'upstream_unavailable' });
  }
  const named = connectionFields(upstream.headers.get('connection'));
  const headers = new Headers();
  upstream.headers.forEach((value, name) => {
    if (forwardsResponseField(name, named, withToken) && !FETCH_RESPONSE_FRAMING.has(name)) headers.set(name, value);
  });
  const location = upstream.headers.get('location');
  if (location) headers.set('location', appLocation(location, target, route));
  // An answer made with the user's token is theirs alone: no shared cache may keep it for others.
  if (withToken) headers.set('cache-control', privateCacheControl(upstream.headers.get('cache-control')));
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  const body = request.method === 'HEAD' || upstream.status === 204 || upstream.status === 304 ? null : upstream.body;
  if (!body) void upstream.body?.cancel().catch(() => undefined);
  const response = new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
  proxiedAnswers.add(response);
  return response;
}
