// Adapters for Node's http module and Express/Connect, typed structurally so the package carries no
// dependency on @types/node or express.
import type { Session } from './sessions.js';
import type { SessionServer } from './session-server.js';
import { SessionStoreError } from './errors.js';

/** The parts of Node's `IncomingMessage` the adapters read. */
export interface NodeRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Set by {@link sessionMiddleware}. */
  oidcSession?: Session | undefined;
}

/** The parts of Node's `ServerResponse` the adapters write. */
export interface NodeResponse {
  statusCode: number;
  setHeader(name: string, value: string | string[]): unknown;
  end(body?: string): unknown;
}

type Next = (error?: unknown) => void;

/**
 * The session server's routes for `http.createServer(...)` or as Express/Connect middleware
 * (`app.use(nodeHandler(server))`): requests under `basePath` are answered, others go to `next`
 * (or get a 404 without one).
 */
export function nodeHandler(server: SessionServer): (req: NodeRequest, res: NodeResponse, next?: Next) => void {
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (!server.owns(path)) {
      if (next) return next();
      res.statusCode = 404;
      res.end();
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !name.startsWith(':')) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    // Only the path and query matter to the routes; the origin is the configured appUrl's.
    const request = new Request(new URL(req.url ?? '/', 'http://localhost'), { method: req.method ?? 'GET', headers });
    server.handle(request).then(
      async (response) => {
        res.statusCode = response.status;
        response.headers.forEach((value, name) => name !== 'set-cookie' && res.setHeader(name, value));
        const cookies = response.headers.getSetCookie();
        if (cookies.length) res.setHeader('set-cookie', cookies);
        res.end(req.method === 'HEAD' ? undefined : await response.text());
      },
      (error: unknown) => (next ? next(error) : ((res.statusCode = 500), res.end())),
    );
  };
}

/** Options of {@link sessionMiddleware}. */
export interface SessionMiddlewareOptions {
  /** Answer 401 (JSON) when there is no session instead of calling `next` with `req.oidcSession` unset. */
  required?: boolean;
}

/**
 * Express/Connect middleware for the app's own routes: sets `req.oidcSession` to the live session (or
 * undefined), sliding its idle expiry. A store outage answers 503 rather than passing an unknown state on.
 */
export function sessionMiddleware(server: SessionServer, options: SessionMiddlewareOptions = {}): (req: NodeRequest, res: NodeResponse, next: Next) => void {
  return (req, res, next) => {
    // Only the stateless cookie mode ever renews the cookie here: collect it without a Headers object per request.
    const cookies: string[] = [];
    server.getSession(req, { append: (_name, value) => void cookies.push(value) }).then(
      (session) => {
        if (cookies.length) res.setHeader('set-cookie', cookies);
        if (!session && options.required) return reply(res, 401, { error: 'login_required' });
        req.oidcSession = session;
        next();
      },
      (error: unknown) => (error instanceof SessionStoreError ? reply(res, 503, { error: 'session_store_unavailable' }) : next(error)),
    );
  };
}

function reply(res: NodeResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}
