// Adapters for Node's http module and Express/Connect, typed structurally so the package carries no
// dependency on @types/node or express.
import type { Session } from './sessions.js';
import type { SessionServer } from './session-server.js';
import { SessionStoreError } from './errors.js';
import { isSameOriginRequest } from './csrf.js';
import { isProxiedAnswer, type ProxyContext } from './proxy/forward.js';
import { API_METHODS, API_METHOD_SET, matchApiRoute } from './proxy/api-routes.js';
import { forwardOnNode, type NodeProxyResponse } from './proxy/node-forward.js';
import { nodeProxyOf } from './session-server.js';
import { requestTarget } from './request-target.js';

/** The parts of Node's `IncomingMessage` the adapters read. */
export interface NodeRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** 2 for an HTTP/2 request (`node:http2`'s compatibility API), whose body no header announces. */
  readonly httpVersionMajor?: number;
  /** Set by {@link sessionMiddleware}. */
  oidcSession?: Session | undefined;
}

// Express apps get `req.oidcSession` typed in their handlers: Express's Request type extends this
// global interface (as passport's `req.user` does), and nothing else is touched without Express.
declare global {
  namespace Express {
    interface Request {
      /** The live session, set by `sessionMiddleware` (undefined without one). */
      oidcSession?: Session | undefined;
    }
  }
}

/** The parts of Node's `ServerResponse` the adapters write. */
export interface NodeResponse {
  statusCode: number;
  setHeader(name: string, value: string | string[]): unknown;
  end(body?: string): unknown;
  /** Read, when present, to tell whether an answer has started. */
  readonly headersSent?: boolean;
  /** Called, when present, to drop a connection whose answer broke halfway. */
  destroy?(): unknown;
  /** Used, when present, to stream a body (a proxied API's answer) instead of buffering it. */
  write?(chunk: Uint8Array): boolean;
  /** Used with `write`: `drain` (room to write again) and `close` (the client went away). */
  once?(event: 'drain' | 'close', listener: () => void): unknown;
  /** Read at `close`: false means the client left before the answer was complete. */
  readonly writableFinished?: boolean;
}

type Next = (error?: unknown) => void;


/**
 * The session server's routes for `http.createServer(...)` or as Express/Connect middleware
 * (`app.use(nodeHandler(server))`): requests under `basePath` are answered, others go to `next`
 * (or get a 404 without one). Nothing a client sends escapes as a throw or a rejection: a method no
 * route serves is 405 before anything is built, a header `Headers` cannot hold is 400.
 */
export function nodeHandler(server: SessionServer): (req: NodeRequest, res: NodeResponse, next?: Next) => void {
  const proxy = nodeProxyOf(server);
  return (req, res, next) => {
    const target = requestTarget(req.url);
    // A proxied API's path first: every request to it is one, and it needs neither `owns` nor `allowedMethods`.
    const route = target && proxy ? matchApiRoute(proxy.routes, target.pathname) : undefined;
    if (!target || (!route && !server.owns(target.pathname))) {
      if (next) return next();
      return guarded(res, () => reply(res, 404, { error: 'not_found' }));
    }
    guarded(res, () => {
      const method = req.method ?? 'GET';
      // `new Request()` is only ever asked to carry a method a route serves (it refuses TRACE, CONNECT, TRACK).
      const allow = route ? API_METHODS : server.allowedMethods(target.pathname);
      if (!allow) return reply(res, 404, { error: 'not_found' });
      if (route ? !API_METHOD_SET.has(method) : !allow.split(', ').includes(method)) return reply(res, 405, { error: 'method_not_allowed' }, { allow });
      // A proxied API on HTTP/1.x: piped on node:http (proxy/node-forward.ts), without a Web Request.
      const stream = route && (req.httpVersionMajor ?? 1) < 2 && isNodeStream(req) ? req : undefined;
      if (stream && route) {
        const chunked = stream.headers['transfer-encoding'] !== undefined;
        const hasBody = method !== 'GET' && method !== 'HEAD' && (chunked || stream.headers['content-length'] !== undefined);
        if (hasBody && stream.readableEnded && (chunked || Number(stream.headers['content-length']) > 0)) return reply(res, 500, BODY_READ_BEFORE);
        return void forwardOnNode(stream, res as NodeProxyResponse, target, route, proxy as ProxyContext, hasBody)
          .then((response) => response && send(req, res, response))
          .catch((error: unknown) => guarded(res, () => (next ? next(error) : failed(res))));
      }
      const headers = requestHeaders(req.headers);
      // Not dropped and carried on: a missing Origin or cookie would change what the routes decide.
      if (!headers) return reply(res, 400, { error: 'invalid_request' });
      // Only the path and query matter to the routes; the origin is the configured appUrl's. A body is
      // passed on unread, as a stream: a route reads what it needs, up to its own limit.
      // HTTP/1.1 frames a body by one of these two fields; without either there is none (RFC 9112 §6.3),
      // and a request without one stays replayable for a proxied API's retry. HTTP/2 frames it by itself.
      const framed = headers.has('transfer-encoding') || headers.has('content-length') || (req.httpVersionMajor ?? 1) >= 2;
      const hasBody = method !== 'GET' && method !== 'HEAD' && framed;
      const body = hasBody ? requestBody(req) : undefined;
      if (hasBody && !body && (headers.has('transfer-encoding') || Number(headers.get('content-length')) > 0)) {
        return reply(res, 500, BODY_READ_BEFORE);
      }
      // A client that leaves stops the work done for it (a proxied request upstream, above all).
      const gone = new AbortController();
      res.once?.('close', () => res.writableFinished === false && gone.abort());
      const init = { method, headers, signal: gone.signal, ...(body ? { body, duplex: 'half' } : {}) };
      const request = new Request(`http://localhost${target.pathAndQuery}`, init as RequestInit);
      server
        .handle(request)
        .then((response) => send(req, res, response))
        .catch((error: unknown) => guarded(res, () => (next ? next(error) : failed(res))));
    });
  };
}

// A body parser mounted before us read it: forwarding without it would lose the request's data.
const BODY_READ_BEFORE = { error: 'server_error', error_description: 'the request body was read before nodeHandler: mount nodeHandler before body parsers' };

/** An `IncomingMessage` (not a test double): it can be piped to the upstream. */
function isNodeStream(req: NodeRequest): req is NodeRequest & Parameters<typeof forwardOnNode>[0] {
  const stream = req as Partial<Record<'pipe' | 'on' | 'unpipe' | 'resume' | 'destroy', unknown>>;
  return typeof stream.pipe === 'function' && typeof stream.on === 'function' && typeof stream.unpipe === 'function' && typeof stream.resume === 'function' && typeof stream.destroy === 'function';
}

/**
 * The request's body as a Web stream: Node's `IncomingMessage` is an async iterable of chunks. None
 * when the request is not one (a test double), or when a body parser mounted earlier already read it.
 */
function requestBody(req: NodeRequest): ReadableStream<Uint8Array> | undefined {
  const stream = req as NodeRequest & Partial<AsyncIterable<Uint8Array>> & { readableEnded?: boolean };
  if (typeof stream[Symbol.asyncIterator] !== 'function' || stream.readableEnded) return undefined;
  const chunks = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  // Pulled a chunk at a time: a route that stops reading (a limit reached) stops the socket too.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

/** Node's headers as `Headers`; undefined when one cannot be held (not a ByteString, not a token name). */
function requestHeaders(raw: NodeRequest['headers']): Headers | undefined {
  const headers = new Headers();
  try {
    for (const [name, value] of Object.entries(raw)) {
      // Repeated Cookie lines join as one cookie-string (RFC 6265bis §5.8.3); other fields as a list.
      if (value !== undefined && !name.startsWith(':')) headers.set(name, Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value);
    }
    return headers;
  } catch {
    return undefined;
  }
}

/** Writes `response`, its body streamed chunk by chunk when the response object can (a proxied answer may be long or endless). */
async function send(req: NodeRequest, res: NodeResponse, response: Response): Promise<void> {
  const write = res.write?.bind(res);
  // Our own answers are small and go whole (with Content-Length); a proxied API's streams.
  const streamed = write !== undefined && typeof res.once === 'function' && response.body !== null && req.method !== 'HEAD' && isProxiedAnswer(response);
  const body = streamed || req.method === 'HEAD' ? undefined : await response.text();
  res.statusCode = response.status;
  response.headers.forEach((value, name) => name !== 'set-cookie' && res.setHeader(name, value));
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader('set-cookie', cookies);
  if (!streamed) {
    await response.body?.cancel().catch(() => undefined);
    res.end(body);
    return;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let closed = false;
  let wake: (() => void) | undefined;
  res.once!('close', () => {
    closed = true;
    wake?.();
    void reader.cancel().catch(() => undefined);
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || closed) break;
      // Backpressure: a slow client slows the upstream down instead of filling this process's memory.
      if (!write(value) && !closed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once!('drain', resolve);
        });
      }
    }
    if (!closed) res.end();
  } catch {
    // The upstream broke off halfway: the client must not take a cut-off body for a whole one.
    void reader.cancel().catch(() => undefined);
    res.destroy?.();
  }
}

/** Runs `act`; a throw (a response object refusing a header, a closed socket) ends this answer, not the process. */
function guarded(res: NodeResponse, act: () => unknown): void {
  try {
    act();
  } catch {
    failed(res);
  }
}

/** Our own failure, after everything a client sent was handled: a bare 500 if nothing was sent yet, else the connection dropped. */
function failed(res: NodeResponse): void {
  try {
    if (res.headersSent) res.destroy?.();
    else {
      res.statusCode = 500;
      res.end();
    }
  } catch {
    try {
      res.destroy?.();
    } catch {
      // Nothing left to tell the client.
    }
  }
}

/** Options of {@link sessionMiddleware}. */
export interface SessionMiddlewareOptions {
  /** Answer 401 (JSON) when there is no session instead of calling `next` with `req.oidcSession` unset. */
  required?: boolean;
  /**
   * Require the CSRF proof on every unsafe request (any method but GET, HEAD and OPTIONS): the
   * `x-oidc-session: 1` header (`CSRF_HEADER`), and `Origin` / `Sec-Fetch-Site` same-origin when the browser sends them.
   * Without it the answer is 403 `{ error: 'csrf_check_failed' }` and the route never runs. Default
   * true; set false only for routes that are not reached with the session cookie from a browser, or
   * that check CSRF themselves. The browser client sends the header on its own requests; the app's
   * own `fetch` calls add `{ 'x-oidc-session': '1' }`.
   */
  csrf?: boolean;
}

/** Methods that change nothing (RFC 9110 §9.2.1): every other one needs the CSRF proof. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Express/Connect middleware for the app's own routes: sets `req.oidcSession` to the live session (or
 * undefined), sliding its idle expiry. A store outage answers 503 rather than passing an unknown state on.
 */
export function sessionMiddleware(server: SessionServer, options: SessionMiddlewareOptions = {}): (req: NodeRequest, res: NodeResponse, next: Next) => void {
  const csrf = options.csrf ?? true;
  return (req, res, next) => {
    // Before the session is even read: a forged request learns nothing and slides nothing.
    if (csrf && !SAFE_METHODS.has((req.method ?? 'GET').toUpperCase()) && !isSameOriginRequest(req, server.appOrigin)) {
      return reply(res, 403, { error: 'csrf_check_failed' });
    }
    // Only the stateless cookie mode ever renews the cookie here: collect it without a Headers object per request.
    const cookies: string[] = [];
    Promise.resolve()
      .then(() => server.getSession(req, { append: (_name, value) => void cookies.push(value) }))
      .then(
        (session) => {
          if (cookies.length) {
            res.setHeader('set-cookie', cookies);
            // Set-Cookie alone does not keep a shared cache from storing this answer and replaying the
            // session cookie to others (RFC 9111 §3); the app may still choose otherwise after us.
            res.setHeader('cache-control', 'no-store');
          }
          if (!session && options.required) return reply(res, 401, { error: 'login_required' });
          req.oidcSession = session;
          next();
        },
        (error: unknown) => (error instanceof SessionStoreError ? reply(res, 503, { error: 'session_store_unavailable' }) : next(error)),
      )
      // A throw from the response object, or from the app's own code run by next(), is not left as an
      // unhandled rejection (which ends a Node process); next is not called twice.
      .catch(() => failed(res));
  };
}

function reply(res: NodeResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(JSON.stringify(body));
}
