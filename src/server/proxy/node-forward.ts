// The API proxy on Node's own HTTP client, for nodeHandler: the checks, header policy and answers of
// forwardToApi (forward.ts), with bodies piped socket to socket over kept-alive connections instead of
// through fetch, Web streams and abort signals, which cost several times the forwarding itself
// (bench:server). Bearer tokens only: with DPoP, or an app's own `fetch`, nodeHandler takes the
// Web-standard path. node:http is reached through process.getBuiltinModule, so this module imports
// nothing that other server runtimes lack.
import { isSameOriginRequest } from '../csrf.js';
import { header, json } from '../http-messages.js';
import { usableTokens } from '../api-fetch.js';
import type { ServerTokens } from '../relying-party.js';
import type { ResolvedApiRoute } from './api-routes.js';
import { appLocation, connectionFields, forwardsRequestField, forwardsResponseField, isForwardableStatus, privateCacheControl } from './fields.js';
import { REPLAYABLE_BODY_BYTES, scopeRefusal, upstreamPathOf, type ProxyContext, type RequestPath } from './forward.js';

/** The parts of Node's `IncomingMessage` (a request, or an upstream's answer) used here. */
interface NodeMessage {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method?: string | undefined;
  readonly statusCode?: number | undefined;
  readonly readableEnded?: boolean;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'aborted' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  pipe<T>(destination: T): T;
  unpipe(): unknown;
  resume(): unknown;
  destroy(): unknown;
}

/** The parts of Node's `ServerResponse` used here. */
export interface NodeProxyResponse {
  statusCode: number;
  readonly headersSent?: boolean;
  readonly writableFinished?: boolean;
  setHeader(name: string, value: string | string[]): unknown;
  /** Used when present: the status and every field in one call. */
  writeHead?(status: number, fields: Record<string, string | string[]>): unknown;
  end(): unknown;
  destroy?(): unknown;
  once?(event: 'close', listener: () => void): unknown;
}

/** Node's `ClientRequest`, as far as it is used. */
interface Outgoing {
  on(event: 'response', listener: (answer: NodeMessage) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  end(body?: Uint8Array): unknown;
  destroy(): unknown;
  /** True when the request went out on a kept-alive connection used before. */
  readonly reusedSocket?: boolean;
}

interface RequestOptions {
  agent: unknown;
  hostname: string;
  port: string;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
}

/** Node's `Agent`, as far as it is used. */
interface PoolAgent {
  /** Idle connections, per host. */
  readonly freeSockets: Readonly<Record<string, readonly { destroy(): unknown }[] | undefined>>;
  /** A connection went back to the pool. */
  on(event: 'free', listener: (socket: object) => void): unknown;
}

interface HttpModule {
  request(options: RequestOptions): Outgoing;
  Agent: new (options: { keepAlive: boolean }) => PoolAgent;
}

/** One kept-alive connection pool per scheme, for every route and session server in the process. */
const clients = new Map<string, { request: HttpModule['request']; agent: PoolAgent }>();

function clientFor(protocol: string): { request: HttpModule['request']; agent: PoolAgent } | undefined {
  let client = clients.get(protocol);
  if (!client) {
    const builtin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    const module = builtin?.(protocol === 'https:' ? 'node:https' : 'node:http') as HttpModule | undefined;
    if (!module || typeof module.request !== 'function') return undefined;
    const agent = new module.Agent({ keepAlive: true });
    closeIdleConnections(agent);
    client = { request: module.request, agent };
    clients.set(protocol, client);
  }
  return client;
}

/** A pooled connection idle this long is closed. */
const IDLE_CLOSE_MS = 3_000;

/**
 * Closes pooled connections idle for {@link IDLE_CLOSE_MS} (within a second more), before the 5 s
 * after which Node's servers (and many others) close them, so a request rarely meets a connection its
 * upstream is closing. One sweep a second, not the Agent's `timeout`: a socket timeout re-arms its
 * timer on every read and write, which cost a seventh of the proxy's CPU time per request (bench:server).
 */
function closeIdleConnections(agent: PoolAgent): void {
  const idleSince = new WeakMap<object, number>();
  agent.on('free', (socket) => idleSince.set(socket, Date.now()));
  const sweep = setInterval(() => {
    const cutoff = Date.now() - IDLE_CLOSE_MS;
    for (const sockets of Object.values(agent.freeSockets)) {
      for (const socket of [...(sockets ?? [])]) if ((idleSince.get(socket) ?? 0) <= cutoff) socket.destroy();
    }
  }, 1_000);
  // The sweep never keeps a process alive.
  (sweep as { unref?: () => unknown }).unref?.();
}

/** Whether {@link forwardOnNode} can carry requests to every route: Node (20.16 and later) with its http client. */
export function canForwardOnNode(context: ProxyContext): boolean {
  return context.routes.every((route) => clientFor(route.upstream.protocol) !== undefined);
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

type Body = { kind: 'none' } | { kind: 'buffer'; bytes: Uint8Array } | { kind: 'stream' };
type Failure = 'too large' | 'unreadable' | 'refused field' | 'timeout' | 'unavailable';

/**
 * Forwards `req` (matched to `route`, its method allowed) as forwardToApi does, and answers: the
 * upstream's answer is written to `res` (resolves undefined), or our own answer is returned for the
 * caller to send (the same statuses and errors as forwardToApi's, the session layer's failures
 * mapped by `context.fail`).
 */
export async function forwardOnNode(req: NodeMessage, res: NodeProxyResponse, url: RequestPath, route: ResolvedApiRoute, context: ProxyContext, hasBody: boolean): Promise<Response | undefined> {
  if (!isSameOriginRequest(req, context.appOrigin)) return json(403, { error: 'csrf_check_failed' });
  // On the route's upstream origin, always: only the path and query come from the request.
  const path = upstreamPathOf(url, route, context.routes);
  if (path === undefined) return json(400, { error: 'invalid_request', error_description: 'the path cannot be forwarded' });
  const upstream = route.upstream;
  const length = header(req, 'content-length');
  const declared = Number(length ?? 0);
  if (!(declared <= route.maxBodyBytes)) return json(413, { error: 'body_too_large' });
  const client = clientFor(upstream.protocol) as NonNullable<ReturnType<typeof clientFor>>;

  let tokens: ((force: boolean) => Promise<ServerTokens>) | undefined;
  let cookies: readonly string[] = [];
  let current: ServerTokens | undefined;
  try {
    const found = await context.session(req);
    if (!found && !route.anonymous) return json(401, { error: 'login_required' });
    if (found) {
      cookies = found.cookies;
      tokens = usableTokens(undefined, (force) => context.tokens(found.session, force, route.resource));
      current = await tokens(false);
      const refusal = scopeRefusal(current, route, context.requestedScope);
      if (refusal) return refusal;
    }
  } catch (error) {
    return context.fail(error);
  }

  const headers = forwardedFields(req.headers);
  let body: Body = { kind: 'none' };
  if (hasBody && length !== undefined && declared <= REPLAYABLE_BODY_BYTES) {
    const bytes = await readWhole(req, declared);
    if (!bytes) return json(400, { error: 'invalid_request', error_description: 'the request body broke off' });
    body = { kind: 'buffer', bytes };
  } else if (hasBody) {
    body = { kind: 'stream' };
  }
  // Framed as the browser framed it: a buffered or length-declared body keeps its length, a chunked one is chunked again.
  if (body.kind !== 'none' && length !== undefined) headers['content-length'] = length;

  let outgoing: Outgoing | undefined;
  let answer: NodeMessage | undefined;
  res.once?.('close', () => {
    // The client left: stop the work done for it.
    if (res.writableFinished === false) {
      outgoing?.destroy();
      answer?.destroy();
    }
  });
  let resent = false;
  const method = req.method ?? 'GET';
  const send = (): Promise<NodeMessage | Failure> =>
    new Promise((resolve) => {
      if (current) headers.authorization = `Bearer ${current.accessToken}`;
      let failure: Failure | undefined;
      let out: Outgoing;
      try {
        out = client.request({ agent: client.agent, hostname: hostnameOf(upstream), port: upstream.port, path, method, headers });
      } catch {
        // A field Node will not send (a character it refuses): the same 400 the Web-standard path gives.
        return resolve('refused field');
      }
      outgoing = out;
      const timer = setTimeout(() => {
        failure ??= 'timeout';
        out.destroy();
      }, route.timeoutMs);
      out.on('response', (upstream) => {
        clearTimeout(timer);
        resolve(upstream);
      });
      const failed = () => {
        clearTimeout(timer);
        resolve(failure ?? 'unavailable');
      };
      out.on('error', (error) => {
        // The upstream closed a kept-alive connection as this request went out on it: an idempotent
        // request (RFC 9110 §9.2.2) whose body can be sent again goes once more, on a new connection.
        if (!failure && !resent && out.reusedSocket && body.kind !== 'stream' && IDEMPOTENT.has(method) && (error as { code?: unknown })?.code === 'ECONNRESET') {
          resent = true;
          clearTimeout(timer);
          return resolve(send());
        }
        failed();
      });
      // A request destroyed before any answer may close without an error: it failed all the same.
      out.on('close', failed);
      if (body.kind === 'buffer') out.end(body.bytes);
      else if (body.kind === 'none') out.end();
      else {
        let size = 0;
        const stop = (why: Failure) => {
          failure ??= why;
          req.unpipe();
          out.destroy();
        };
        req.on('data', (chunk) => {
          size += chunk.byteLength;
          if (size > route.maxBodyBytes) stop('too large');
        });
        req.on('aborted', () => stop('unreadable'));
        req.on('error', () => stop('unreadable'));
        req.pipe(out);
      }
    });

  let result = await send();
  if (typeof result !== 'string' && result.statusCode === 401 && tokens && refusesToken(result)) {
    // RFC 6750 §3.1: the token was refused; one refresh, and one more try when the body can be sent again.
    const refused = result;
    try {
      if (body.kind === 'stream') {
        await tokens(true).catch(() => undefined);
      } else {
        refused.resume();
        current = await tokens(true);
        result = await send();
      }
    } catch (error) {
      return context.fail(error);
    }
  }
  if (result === 'too large') return json(413, { error: 'body_too_large' }, [], { connection: 'close' });
  if (result === 'unreadable') return json(400, { error: 'invalid_request', error_description: 'the request body broke off' });
  if (result === 'refused field') return json(400, { error: 'invalid_request' });
  if (result === 'timeout') return json(504, { error: 'upstream_timeout' });
  if (result === 'unavailable') return json(502, { error: 'upstream_unavailable' });
  answer = result;
  return writeAnswer(req, res, result, route, path, cookies, current !== undefined);
}

/** An upstream's host as node:http takes it: an IPv6 literal without its brackets. */
function hostnameOf(upstream: URL): string {
  const host = upstream.hostname;
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/** True for a 401 that carries an `error="invalid_token"` challenge: only that one is worth a refresh. */
function refusesToken(answer: NodeMessage): boolean {
  const challenge = answer.headers['www-authenticate'];
  const value = Array.isArray(challenge) ? challenge.join(', ') : (challenge ?? '');
  // An auth-param `error` (RFC 9110 §11.2) whose value, quoted or not, is invalid_token.
  return /(^|[\s,])error\s*=\s*("invalid_token"|invalid_token)\s*(,|$)/i.test(value);
}

function forwardedFields(incoming: NodeMessage['headers']): Record<string, string | string[]> {
  const named = connectionFields(header({ headers: incoming }, 'connection'));
  const fields: Record<string, string | string[]> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value !== undefined && name !== 'content-length' && forwardsRequestField(name, named)) fields[name] = value;
  }
  return fields;
}

/** A body of `length` bytes (Node's parser holds the client to its Content-Length), or undefined if it broke off. */
function readWhole(req: NodeMessage, length: number): Promise<Uint8Array | undefined> {
  if (req.readableEnded) return Promise.resolve(length === 0 ? new Uint8Array(0) : undefined);
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.byteLength;
      if (size <= length) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size !== length) return resolve(undefined);
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
      resolve(bytes);
    });
    req.on('aborted', () => resolve(undefined));
    req.on('error', () => resolve(undefined));
  });
}

/** The upstream's answer written as the browser gets it: as forward.ts's `answer`, its body piped with backpressure. */
function writeAnswer(req: NodeMessage, res: NodeProxyResponse, answer: NodeMessage, route: ResolvedApiRoute, path: string, cookies: readonly string[], withToken: boolean): Response | undefined {
  const status = answer.statusCode ?? 0;
  if (!isForwardableStatus(status)) {
    answer.destroy();
    return json(502, { error: 'upstream_unavailable' });
  }
  const named = connectionFields(header(answer, 'connection'));
  try {
    const fields: Record<string, string | string[]> = {};
    for (const name in answer.headers) {
      const value = answer.headers[name];
      if (value !== undefined && forwardsResponseField(name, named, withToken)) fields[name] = value;
    }
    const location = header(answer, 'location');
    if (location) fields.location = appLocation(location, route.upstream.origin + path, route);
    if (withToken) fields['cache-control'] = privateCacheControl(header(answer, 'cache-control'));
    if (cookies.length) fields['set-cookie'] = [...cookies];
    // All at once, checked here (a field Node refuses throws now, not when the body is piped).
    if (res.writeHead) res.writeHead(status, fields);
    else {
      res.statusCode = status;
      for (const name in fields) res.setHeader(name, fields[name] as string | string[]);
    }
  } catch {
    answer.destroy();
    return json(502, { error: 'upstream_unavailable' });
  }
  // The client must not take a cut-off body for a whole one.
  answer.on('aborted', () => res.destroy?.());
  answer.on('error', () => res.destroy?.());
  if (req.method === 'HEAD' || status === 204 || status === 304) {
    answer.resume();
    res.end();
  } else {
    answer.pipe(res);
  }
  return undefined;
}
