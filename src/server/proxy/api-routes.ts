// The `apis` option: which paths of the app's origin the session server forwards to which upstream
// API, checked once at startup so that a request can only ever reach a declared upstream.
import { ConfigError } from '../../errors/errors.js';
import { isLoopbackHost } from '../../client/options.js';

/** One remote API the session server proxies, with the session's access token attached. */
export interface ApiRoute {
  /**
   * The path on the app's origin, e.g. `/api/orders`: requests to it and below it (`/api/orders/42`)
   * are forwarded. Letters, digits and `-._~/`; no `..` segment; outside `basePath`.
   */
  path: string;
  /**
   * Where they go: an `https:` URL (`http:` only on a loopback host), e.g.
   * `https://orders.internal.example/v1`. The part of the request path after `path` is appended to
   * it, and the query kept: `/api/orders/42?x=1` → `https://orders.internal.example/v1/42?x=1`.
   */
  upstream: string;
  /** Forward requests without a session too (with no token). Default false: 401 `login_required`. */
  anonymous?: boolean;
  /**
   * Scopes the session's access token must have been granted (its token response's `scope`); a
   * session without them gets 403 `insufficient_scope` and the API is not called.
   */
  requiredScopes?: readonly string[];
  /** Largest request body forwarded, in bytes. Default 1 MiB; beyond it the answer is 413. */
  maxBodyBytes?: number;
  /** How long the upstream may take to start answering, in seconds. Default 30; then 504. */
  timeoutSeconds?: number;
  /**
   * The API's resource indicator (RFC 8707), e.g. `https://orders.example`: an absolute URI without a
   * fragment or query. The route then gets an access token issued for this resource alone, by a
   * refresh-token grant with `resource` (§2.2), kept in the session beside the login's token and
   * renewed on its own; every login asks for the routes' resources (§2.1), as providers that check
   * the grant (oidc-provider) require. `requiredScopes` are checked against that token's scope.
   */
  resource?: string;
}

export interface ResolvedApiRoute {
  readonly path: string;
  readonly upstream: URL;
  /** The upstream's path without a trailing slash: forwarded paths are appended to it. */
  readonly upstreamPath: string;
  readonly anonymous: boolean;
  readonly requiredScopes: readonly string[];
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
  /** The resource indicator whose token the route sends, or undefined for the login's own token. */
  readonly resource: string | undefined;
}

const KNOWN = new Set(['path', 'upstream', 'anonymous', 'requiredScopes', 'maxBodyBytes', 'timeoutSeconds', 'resource']);
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Above this a proxied body is no longer "an API call": a file upload belongs on its own service. */
const MAX_BODY_BYTES_LIMIT = 1024 * 1024 * 1024;

/** Checks `apis`; paths may not overlap `basePath` or each other's exact path. Longest path first. */
export function resolveApiRoutes(value: unknown, basePath: string): readonly ResolvedApiRoute[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigError('apis', 'expected a list of { path, upstream }');
  const routes = value.map((entry, index) => resolveRoute(entry, `apis[${index}]`));
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.path)) throw new ConfigError('apis', `${route.path} is declared twice`);
    seen.add(route.path);
    if (within(route.path, basePath) || within(basePath, route.path)) throw new ConfigError('apis', `${route.path} overlaps the session routes under ${basePath}`);
  }
  // A request goes to the most specific declared path: /api/orders/admin before /api/orders.
  return Object.freeze(routes.sort((a, b) => b.path.length - a.path.length));
}

/** What a proxied API path answers to (its `Allow` value): every method a `Request` can carry (not TRACE, CONNECT or TRACK). */
export const API_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
/** {@link API_METHODS} as a set, for a check per request. */
export const API_METHOD_SET: ReadonlySet<string> = new Set(API_METHODS.split(', '));

/** The route a request path belongs to, or undefined. */
export function matchApiRoute(routes: readonly ResolvedApiRoute[], pathname: string): ResolvedApiRoute | undefined {
  for (const route of routes) if (within(pathname, route.path)) return route;
  return undefined;
}

/** `pathname` is `prefix` or below it; without building `prefix + '/'` (this runs several times a request). */
function within(pathname: string, prefix: string): boolean {
  return pathname.startsWith(prefix) && (pathname.length === prefix.length || pathname.charCodeAt(prefix.length) === 0x2f);
}

function resolveRoute(entry: unknown, name: string): ResolvedApiRoute {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(name, 'expected { path, upstream }');
  for (const key of Object.keys(entry)) if (!KNOWN.has(key)) throw new ConfigError(name, `unknown option "${key}"`);
  const { path, upstream, anonymous = false, requiredScopes = [], maxBodyBytes = DEFAULT_MAX_BODY_BYTES, timeoutSeconds = 30, resource } = entry as Partial<ApiRoute>;
  // Only characters a URL parser leaves alone: the declared path is compared with parsed request paths.
  if (typeof path !== 'string' || !/^(\/[\w\-.~]+)+$/.test(path) || /\/\.\.?(\/|$)/.test(path)) {
    throw new ConfigError(`${name}.path`, 'expected a path such as /api/orders (letters, digits, -._~, no . or .. segment, no trailing /)');
  }
  let url: URL | undefined;
  try {
    url = typeof upstream === 'string' ? new URL(upstream) : undefined;
  } catch {
    url = undefined;
  }
  if (!url) throw new ConfigError(`${name}.upstream`, 'expected an absolute URL');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError(`${name}.upstream`, 'must be https: (http: only on loopback hosts): the access token never crosses a network in plain text');
  }
  if (url.search || url.hash || url.username || url.password || upstream!.includes('?') || upstream!.includes('#')) {
    throw new ConfigError(`${name}.upstream`, 'expected an origin and path only (no query, fragment or credentials)');
  }
  if (typeof anonymous !== 'boolean') throw new ConfigError(`${name}.anonymous`, 'expected true or false');
  if (!Array.isArray(requiredScopes) || !requiredScopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) {
    throw new ConfigError(`${name}.requiredScopes`, 'expected a list of scope tokens');
  }
  if (anonymous && requiredScopes.length) throw new ConfigError(`${name}.requiredScopes`, 'an anonymous route has no token whose scopes could be checked');
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > MAX_BODY_BYTES_LIMIT) {
    throw new ConfigError(`${name}.maxBodyBytes`, `expected whole bytes from 0 to ${MAX_BODY_BYTES_LIMIT}`);
  }
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0) || timeoutSeconds > 3600) throw new ConfigError(`${name}.timeoutSeconds`, 'expected seconds, more than 0 and at most 3600');
  if (resource !== undefined) {
    checkResourceIndicator(resource, `${name}.resource`);
    if (anonymous) throw new ConfigError(`${name}.resource`, 'an anonymous route sends no token, for a resource or otherwise');
  }
  return Object.freeze({
    path,
    upstream: url,
    upstreamPath: url.pathname.replace(/\/+$/, ''),
    anonymous,
    requiredScopes: Object.freeze([...requiredScopes]),
    maxBodyBytes,
    timeoutMs: timeoutSeconds * 1000,
    resource,
  });
}

/** Long enough for any real API's identifier, short enough to sit in every login's URL. */
const MAX_RESOURCE_CHARS = 512;

/**
 * An absolute URI without query or fragment (RFC 8707 §2: MUST NOT have a fragment, SHOULD NOT a
 * query): a scheme, then only characters RFC 3986 §2 allows outside those two parts.
 */
const RESOURCE_INDICATOR = /^[a-z][a-z\d+.-]*:(?:[\w\-.~!$&'()*+,;=:@/]|%[\da-f]{2})+$/i;

/**
 * Throws a {@link ConfigError} naming `option` unless `value` is a resource indicator RFC 8707 §2
 * allows (see {@link RESOURCE_INDICATOR}), with no user name or password (it rides in every login's
 * URL). Sent exactly as written (`https://orders.example` stays without its slash): providers and
 * APIs compare audiences as strings.
 */
export function checkResourceIndicator(value: unknown, option: string): asserts value is string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' && value.length <= MAX_RESOURCE_CHARS && RESOURCE_INDICATOR.test(value) ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.username || url.password) {
    throw new ConfigError(option, `expected an absolute URI (e.g. https://api.example) without fragment, query, credentials or spaces, at most ${MAX_RESOURCE_CHARS} characters`);
  }
}

/** The distinct resource indicators of the routes (most specific path first, as routes are kept). */
export function routeResources(routes: readonly ResolvedApiRoute[]): readonly string[] {
  return [...new Set(routes.flatMap((route) => (route.resource === undefined ? [] : [route.resource])))];
}
