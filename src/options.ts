import { ConfigError } from './errors.js';
import type { StorageAdapter } from './platform/storage.js';

/** Where the session (tokens and user claims) is kept. */
export type StorageOption = 'session' | 'memory' | 'indexeddb' | StorageAdapter;

/** Options for {@link AuthClient}. Only `issuer`, `clientId` and `redirectUri` are required. */
export interface AuthClientOptions {
  /** The provider's issuer identifier, e.g. `https://passport.rollup.id`. `http:` only on loopback hosts. */
  issuer: string;
  /** The client id registered at the provider (a public client: PKCE, no secret). */
  clientId: string;
  /** Absolute URL of the page that calls `handleCallback()`, registered at the provider. */
  redirectUri: string;
  /**
   * Where the provider sends the user after logout, registered at the provider. A list allows
   * `logout({ returnTo })` to pick one; the first entry is the default. Default: the origin of `redirectUri` + `/`.
   */
  postLogoutRedirectUri?: string | readonly string[];
  /** Space-separated scopes; must include `openid`. Default `openid profile email`. */
  scope?: string;
  /**
   * Where the session lives: `'session'` (sessionStorage, the default: this tab, survives reloads),
   * `'memory'` (this page only), `'indexeddb'` (every tab, survives restarts) or your own adapter.
   */
  storage?: StorageOption;
  /** Extra parameters added to every authorization request (e.g. `{ audience: 'api' }`, `{ prompt: 'login' }`). */
  authorizationParams?: Readonly<Record<string, string>>;
  /** The one algorithm ID tokens must be signed with; metadata cannot change it. Default `RS256`. */
  idTokenSigningAlg?: string;
  /** An access token counts as expired this long before its real expiry (at most half its lifetime). Default 30. */
  leewaySeconds?: number;
  /** Clock skew tolerated when checking ID token times (`exp`, `iat`, `auth_time`). Default 30. */
  clockToleranceSeconds?: number;
  /** Deadline for each request to the provider. Default 10. */
  requestTimeoutSeconds?: number;
  /** Replaces `globalThis.fetch` for every request to the provider. */
  fetch?: typeof globalThis.fetch;
  /** Replaces the full-page navigation used by `login()` and `logout()`. Default `location.assign`. */
  navigate?: (url: string) => void;
  /** Replaces the clock (epoch milliseconds). Default `Date.now`. */
  now?: () => number;
}

/** Options after validation and defaults: the only shape the rest of the SDK reads. */
export interface ResolvedOptions {
  readonly issuer: URL;
  readonly clientId: string;
  readonly redirectUri: string;
  /** Origin of `redirectUri`: the only origin `returnTo` may point at. */
  readonly appOrigin: string;
  readonly postLogoutRedirectUris: readonly string[];
  readonly scope: string;
  readonly storage: StorageOption;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly idTokenSigningAlg: string;
  readonly leewaySeconds: number;
  readonly clockToleranceSeconds: number;
  readonly requestTimeoutMs: number;
  /** True only for an `http:` issuer on a loopback host (local development). */
  readonly allowInsecureRequests: boolean;
  readonly fetch: typeof globalThis.fetch | undefined;
  readonly navigate: ((url: string) => void) | undefined;
  readonly now: () => number;
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer', 'clientId', 'redirectUri', 'postLogoutRedirectUri', 'scope', 'storage', 'authorizationParams',
  'idTokenSigningAlg', 'leewaySeconds', 'clockToleranceSeconds', 'requestTimeoutSeconds', 'fetch', 'navigate', 'now',
]);

/** Parameters the SDK owns: letting an app set them would break PKCE, state or nonce binding. */
export const RESERVED_AUTHORIZATION_PARAMS: ReadonlySet<string> = new Set([
  'client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce',
  'code_challenge', 'code_challenge_method', 'request', 'request_uri',
]);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const ASYMMETRIC_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/** True for a loopback host name, the only place plain `http:` is accepted. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** Validates options and applies defaults. Throws {@link ConfigError} naming the first bad option. */
export function resolveOptions(input: AuthClientOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new ConfigError('options', 'expected an object');
  for (const key of Object.keys(input)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ConfigError(key, 'unknown option');
  }

  const issuer = parseIssuer(input.issuer);
  const clientId = requireNonEmptyString('clientId', input.clientId);
  const redirect = parseAppUrl('redirectUri', input.redirectUri);
  const appOrigin = redirect.origin;

  const postLogout = input.postLogoutRedirectUri ?? `${appOrigin}/`;
  const postLogoutList = typeof postLogout === 'string' ? [postLogout] : [...postLogout];
  if (postLogoutList.length === 0) throw new ConfigError('postLogoutRedirectUri', 'expected at least one URL');
  const postLogoutRedirectUris = postLogoutList.map((uri) => parseAppUrl('postLogoutRedirectUri', uri).href);

  const scope = input.scope === undefined ? 'openid profile email' : requireNonEmptyString('scope', input.scope);
  if (!scope.split(' ').includes('openid')) throw new ConfigError('scope', 'must include "openid"');

  const authorizationParams = checkAuthorizationParams('authorizationParams', input.authorizationParams ?? {});
  const idTokenSigningAlg = input.idTokenSigningAlg ?? 'RS256';
  if (!ASYMMETRIC_ALGS.has(idTokenSigningAlg)) {
    throw new ConfigError('idTokenSigningAlg', 'must be an asymmetric JWS algorithm such as RS256, PS256 or ES256');
  }

  return Object.freeze({
    issuer,
    clientId,
    redirectUri: redirect.href,
    appOrigin,
    postLogoutRedirectUris: Object.freeze(postLogoutRedirectUris),
    scope,
    storage: checkStorage(input.storage ?? 'session'),
    authorizationParams,
    idTokenSigningAlg,
    leewaySeconds: nonNegativeNumber('leewaySeconds', input.leewaySeconds, 30),
    clockToleranceSeconds: nonNegativeNumber('clockToleranceSeconds', input.clockToleranceSeconds, 30),
    requestTimeoutMs: positiveNumber('requestTimeoutSeconds', input.requestTimeoutSeconds, 10) * 1000,
    allowInsecureRequests: issuer.protocol === 'http:',
    fetch: optionalFunction('fetch', input.fetch),
    navigate: optionalFunction('navigate', input.navigate),
    now: optionalFunction('now', input.now) ?? Date.now,
  });
}

/** Checks extra authorization parameters (from options or a `login()` call). */
export function checkAuthorizationParams(option: string, params: unknown): Readonly<Record<string, string>> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ConfigError(option, 'expected an object of string values');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (RESERVED_AUTHORIZATION_PARAMS.has(key)) throw new ConfigError(option, `"${key}" is set by the SDK and cannot be overridden`);
    if (typeof value !== 'string') throw new ConfigError(option, `"${key}" must be a string`);
    out[key] = value;
  }
  return Object.freeze(out);
}

function parseIssuer(value: unknown): URL {
  const url = parseUrl('issuer', value);
  if (url.search || url.hash) throw new ConfigError('issuer', 'must not contain a query or fragment');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new ConfigError('issuer', 'must use https: (http: is accepted only on localhost, 127.0.0.1 and [::1])');
}

function parseAppUrl(option: string, value: unknown): URL {
  const url = parseUrl(option, value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(option, 'must be an http(s) URL');
  return url;
}

function parseUrl(option: string, value: unknown): URL {
  const text = requireNonEmptyString(option, value);
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(option, 'must be an absolute URL');
  }
}

function requireNonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(option, 'expected a non-empty string');
  return value;
}

function checkStorage(value: unknown): StorageOption {
  if (value === 'session' || value === 'memory' || value === 'indexeddb') return value;
  if (typeof value === 'object' && value !== null) {
    const adapter = value as Record<string, unknown>;
    for (const method of ['get', 'set', 'remove', 'keys']) {
      if (typeof adapter[method] !== 'function') throw new ConfigError('storage', `adapter is missing a ${method}() method`);
    }
    return value as StorageAdapter;
  }
  throw new ConfigError('storage', "expected 'session', 'memory', 'indexeddb' or an adapter object");
}

function nonNegativeNumber(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ConfigError(option, 'expected a number of seconds, 0 or more');
  return value;
}

function positiveNumber(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new ConfigError(option, 'expected a number of seconds above 0');
  return value;
}

function optionalFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new ConfigError(option, 'expected a function');
  return value;
}
