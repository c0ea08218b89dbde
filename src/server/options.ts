import { ConfigError } from '../errors.js';
import { checkAuthorizationParams, isLoopbackHost } from '../options.js';
import { checkSecrets } from './seal.js';
import { memoryStore } from './stores/memory.js';
import type { CookieStore, SessionStore } from './stores/store.js';

/** Options of {@link createSessionServer}. */
export interface SessionServerOptions {
  /** The provider's issuer URL. `https:`, or `http:` on a loopback host for development. */
  issuer: string;
  clientId: string;
  /** Makes this a confidential client. Omit for a public client (PKCE alone). */
  clientSecret?: string;
  /**
   * How the client authenticates at the token endpoint. Default: `client_secret_basic` when the provider
   * advertises it (or advertises nothing), else `client_secret_post`; `none` without a secret. Set it to
   * the method the client is registered with.
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** The app's origin as users reach it, e.g. `https://app.example`. Redirect URIs, `returnTo` and CSRF checks hang off it. */
  appUrl: string;
  /** Where the routes are mounted. Default `/auth`; the redirect URI is `appUrl + basePath + '/callback'`. */
  basePath?: string;
  /** Where the provider sends the user after logout. Default `appUrl + '/'`. */
  postLogoutRedirectUri?: string;
  /** Default `openid profile email`. Add `offline_access` where the provider needs it for refresh tokens. */
  scope?: string;
  /**
   * Encrypts cookies and tokens at rest: a random string of 32+ characters, or a list (newest first)
   * to rotate secrets without signing anybody out. Keep it out of the code.
   */
  secret: string | readonly string[];
  /** `memoryStore()` (default, one process), `redisStore({ client })` (many), `cookieStore()` (stateless) or your own. */
  store?: SessionStore | CookieStore;
  /** A session not used for this long ends. Default 1 day. Each use pushes it back. */
  idleTimeoutSeconds?: number;
  /** A session ends this long after login, however active. Default 7 days. */
  absoluteTimeoutSeconds?: number;
  /** Serve `GET token`, handing the browser a fresh access token (token-mediating mode). Default false. */
  tokenRoute?: boolean;
  /** Default `__Host-oidc-session`. */
  cookieName?: string;
  /** Extra authorization parameters on every login (e.g. `{ audience: 'api' }`). */
  authorizationParams?: Readonly<Record<string, string>>;
  /** The one ID token signing algorithm accepted. Default `RS256`. */
  idTokenSigningAlg?: string;
  /** Renew access tokens this many seconds before they expire. Default 30. */
  leewaySeconds?: number;
  /** Deadline for each request to the provider. Default 10. */
  requestTimeoutSeconds?: number;
  /** Deadline for each store operation; past it the route answers 503. Default 2. */
  storeTimeoutSeconds?: number;
  /** Seams for tests. */
  fetch?: typeof fetch;
  now?: () => number;
}

export interface ResolvedServerOptions {
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly tokenEndpointAuthMethod: SessionServerOptions['tokenEndpointAuthMethod'];
  readonly appOrigin: string;
  readonly basePath: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly scope: string;
  readonly secrets: readonly string[];
  readonly store: SessionStore | CookieStore;
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly tokenRoute: boolean;
  readonly cookieName: string;
  readonly secureCookies: boolean;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly idTokenSigningAlg: string;
  readonly leewayMs: number;
  readonly requestTimeoutMs: number;
  readonly storeTimeoutMs: number;
  readonly fetch: typeof fetch | undefined;
  readonly now: () => number;
}

const KNOWN = new Set([
  'issuer', 'clientId', 'clientSecret', 'tokenEndpointAuthMethod', 'appUrl', 'basePath', 'postLogoutRedirectUri', 'scope',
  'secret', 'store', 'idleTimeoutSeconds', 'absoluteTimeoutSeconds', 'tokenRoute', 'cookieName', 'authorizationParams',
  'idTokenSigningAlg', 'leewaySeconds', 'requestTimeoutSeconds', 'storeTimeoutSeconds', 'fetch', 'now',
]);

/** Validates options and applies defaults; throws {@link ConfigError} naming the first bad option. */
export function resolveServerOptions(input: SessionServerOptions): ResolvedServerOptions {
  if (typeof input !== 'object' || input === null) throw new ConfigError('options', 'expected an object');
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) throw new ConfigError(key, 'unknown option');
  const issuer = secureUrl('issuer', input.issuer);
  if (issuer.search || issuer.hash) throw new ConfigError('issuer', 'expected a URL without query or fragment');
  const app = secureUrl('appUrl', input.appUrl);
  const text = (name: string, value: unknown, fallback?: string): string => {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || !value.trim()) throw new ConfigError(name, 'expected a non-empty string');
    return value;
  };
  const seconds = (name: string, value: unknown, fallback: number, min = 1): number => {
    if (value === undefined) return fallback * 1000;
    if (typeof value !== 'number' || !(value >= min) || value === Infinity) throw new ConfigError(name, `expected seconds (${min} or more)`);
    return value * 1000;
  };
  const basePath = text('basePath', input.basePath, '/auth').replace(/\/+$/, '');
  if (!/^\/[\w\-./]*$/.test(basePath) || basePath.includes('//')) throw new ConfigError('basePath', 'expected a path such as /auth');
  const scope = text('scope', input.scope, 'openid profile email');
  if (!scope.split(' ').includes('openid')) throw new ConfigError('scope', 'must include "openid"');
  const clientSecret = input.clientSecret === undefined ? undefined : text('clientSecret', input.clientSecret);
  const method = input.tokenEndpointAuthMethod;
  if (method !== undefined && !['client_secret_basic', 'client_secret_post', 'none'].includes(method)) {
    throw new ConfigError('tokenEndpointAuthMethod', "expected 'client_secret_basic', 'client_secret_post' or 'none'");
  }
  if (method && method !== 'none' && !clientSecret) throw new ConfigError('clientSecret', `required by ${method}`);
  const store = input.store ?? memoryStore({ ...(input.now ? { now: input.now } : {}) });
  if (!isStore(store)) throw new ConfigError('store', 'expected memoryStore(), redisStore(...), cookieStore() or a SessionStore');
  const tokenRoute = input.tokenRoute ?? false;
  if (typeof tokenRoute !== 'boolean') throw new ConfigError('tokenRoute', 'expected true or false');
  if (tokenRoute && store.kind === 'cookie') throw new ConfigError('tokenRoute', 'the stateless cookie store keeps no tokens to hand out');
  const idleMs = seconds('idleTimeoutSeconds', input.idleTimeoutSeconds, 86_400);
  const absoluteMs = seconds('absoluteTimeoutSeconds', input.absoluteTimeoutSeconds, 7 * 86_400);
  const cookieName = text('cookieName', input.cookieName, '__Host-oidc-session');
  if (!/^[\w\-.]+$/.test(cookieName)) throw new ConfigError('cookieName', 'expected letters, digits, "-", "_" or "."');
  for (const name of ['fetch', 'now'] as const) {
    if (input[name] !== undefined && typeof input[name] !== 'function') throw new ConfigError(name, 'expected a function');
  }
  const postLogout = input.postLogoutRedirectUri === undefined ? `${app.origin}/` : secureUrl('postLogoutRedirectUri', input.postLogoutRedirectUri).href;
  const alg = text('idTokenSigningAlg', input.idTokenSigningAlg, 'RS256');
  if (!/^([RPE]S(256|384|512)|EdDSA|Ed25519)$/.test(alg)) throw new ConfigError('idTokenSigningAlg', 'expected an asymmetric algorithm such as RS256');
  return {
    issuer,
    clientId: text('clientId', input.clientId),
    clientSecret,
    tokenEndpointAuthMethod: method,
    appOrigin: app.origin,
    basePath,
    redirectUri: `${app.origin}${basePath}/callback`,
    postLogoutRedirectUri: postLogout,
    scope,
    secrets: checkSecrets(input.secret),
    store,
    idleMs,
    absoluteMs: Math.max(absoluteMs, 0),
    tokenRoute,
    cookieName,
    // `__Host-` cookies must be Secure; browsers accept Secure cookies from http://localhost too.
    secureCookies: true,
    authorizationParams: checkAuthorizationParams('authorizationParams', input.authorizationParams ?? {}),
    idTokenSigningAlg: alg,
    leewayMs: seconds('leewaySeconds', input.leewaySeconds, 30, 0),
    requestTimeoutMs: seconds('requestTimeoutSeconds', input.requestTimeoutSeconds, 10),
    storeTimeoutMs: seconds('storeTimeoutSeconds', input.storeTimeoutSeconds, 2, 0.001),
    fetch: input.fetch,
    now: input.now ?? Date.now,
  };
}

function secureUrl(name: string, value: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url) throw new ConfigError(name, 'expected a URL');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError(name, 'must be https: (http: only on loopback hosts)');
  }
  return url;
}

function isStore(value: unknown): value is SessionStore | CookieStore {
  const store = value as Partial<SessionStore> | null;
  if (typeof store !== 'object' || store === null) return false;
  if (store.kind === ('cookie' as string)) return true;
  return store.kind === 'store' && (['get', 'set', 'update', 'touch', 'delete', 'lock'] as const).every((m) => typeof store[m] === 'function');
}
