import { ConfigError } from '../errors/errors.js';
import { checkAuthorizationParams, isLoopbackHost } from '../client/options.js';
import { maxAgeOf } from './login-params.js';
import { checkSecrets } from './seal.js';
import { memoryStore } from './stores/memory.js';
import type { CookieStore, SessionStore } from './stores/store.js';
import { checkResourceIndicator, resolveApiRoutes, routeResources, type ApiRoute, type ResolvedApiRoute } from './proxy/api-routes.js';

/** Options of {@link createSessionServer}. */
export interface SessionServerOptions {
  /** The provider's issuer URL. `https:`, or `http:` on a loopback host for development. */
  issuer: string;
  clientId: string;
  /**
   * The client's secret: a confidential client, as the browser-based-apps BCP expects of a BFF. Required
   * unless `tokenEndpointAuthMethod: 'none'` says, explicitly, that this is a public client (PKCE alone).
   */
  clientSecret?: string;
  /**
   * How the client authenticates at the token endpoint. Default: `client_secret_basic` when the provider
   * advertises it (or advertises nothing), else `client_secret_post`. `none` makes a public client (and
   * then `clientSecret` must be left out). Set it to the method the client is registered with.
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
  /**
   * A session not used for this long ends. Default 1 day (86,400), as express-openid-connect's rolling
   * duration. Each use pushes it back. OWASP's Session Management Cheat Sheet suggests minutes (2–5 for
   * high-value apps, 15–30 for low-risk ones): set it lower where a shared or unattended device is likely.
   */
  idleTimeoutSeconds?: number;
  /**
   * A session ends this long after login, however active. Default 7 days (604,800), as
   * express-openid-connect's absolute duration; OWASP suggests 4–8 hours for apps used at work. The
   * provider's own session and refresh-token lifetimes do not extend it.
   */
  absoluteTimeoutSeconds?: number;
  /** Serve `GET token`, handing the browser a fresh access token (token-mediating mode). Default false. */
  tokenRoute?: boolean;
  /**
   * Serve `POST backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): the provider posts a
   * signed logout token there when a user's session with it ends (signed out at the provider or at
   * another app, disabled by an admin), and every session of this server that the token names (by the
   * provider's `sid`, or all of the user's by `sub`) ends, on every process sharing the store. Register
   * `appUrl + basePath + '/backchannel-logout'` as the client's `backchannel_logout_uri` (and
   * `backchannel_logout_session_required: true` if you want one browser's logout to end only that
   * browser's sessions). Default false. Needs a server-side store: stateless cookie sessions cannot
   * be ended from outside.
   */
  backchannelLogout?: boolean;
  /**
   * Remote APIs the session server proxies (the full backend-for-frontend: the browser never holds a
   * token). A request to a declared `path` (CSRF header required, as on every route) goes to its
   * `upstream` with the session's access token (refreshed when due, DPoP-bound with `dpop`) instead of
   * the browser's cookies; the answer streams back. See {@link ApiRoute}. Needs a server-side store.
   */
  apis?: readonly ApiRoute[];
  /**
   * Default `__Host-oidc-session`. Must keep the `__Host-` prefix: browsers then accept the cookie only
   * from this host, `Secure`, with `Path=/`, so a sibling subdomain cannot plant one. Pending logins use
   * `<cookieName>.login.<id>`.
   */
  cookieName?: string;
  /**
   * Extra authorization parameters on every login (e.g. `{ audience: 'api' }`). They win over a login
   * link's query: `GET login?prompt=...&max_age=...&acr_values=...` may only tighten them (a smaller
   * `max_age`, more `prompt` interactions, a subset of the `acr_values`), never replace them.
   */
  authorizationParams?: Readonly<Record<string, string>>;
  /**
   * Authentication context classes the app accepts (e.g. `['urn:mfa']`). When set, logins send them as
   * `acr_values` (unless `authorizationParams` has its own) and the callback refuses an ID token whose
   * `acr` claim is missing or not in this list (`auth_error=invalid_id_token`): a provider may ignore
   * `acr_values` (OIDC Core §3.1.2.1), so the answer is what counts.
   */
  requiredAcr?: readonly string[];
  /**
   * `SameSite` of the session cookie. Default `'strict'`: a cross-site request never carries it, not
   * even a top-level navigation. The login's own landing page is reached through a same-origin step
   * so that it does carry the cookie. Choose `'lax'` when server-rendered pages must recognise a user
   * who arrives by a link from another site on that first request (SPAs that call `GET session` do not
   * need it). The short-lived pending-login cookie is always `Lax`: it must come along on the
   * provider's redirect back.
   */
  sessionCookieSameSite?: 'strict' | 'lax';
  /**
   * Live sessions one user (`sub`) may hold at once; a login beyond it ends that user's oldest session.
   * Default 50. It stops one account (a script replaying silent logins) from filling the store and
   * pushing other users out. Concurrent logins of one user on several Redis-backed processes can
   * exceed it briefly, by the logins that raced.
   */
  maxSessionsPerUser?: number;
  /**
   * Pushed authorization requests (RFC 9126): the server POSTs each login's authorization request
   * (scope, `state`, `nonce`, PKCE challenge, redirect URI, `authorizationParams`) to the provider's
   * `pushed_authorization_request_endpoint`, authenticated as at the token endpoint, and sends the
   * browser to the authorization endpoint with only `client_id` and the one-time `request_uri` the
   * provider answered: nothing of the request rides in the address bar, and the provider knows it came
   * from the authenticated client.
   * - `'auto'` (default): push when the provider's metadata says `require_pushed_authorization_requests: true`;
   * - `true`: push every login. A provider without the endpoint fails `GET login` (500, a {@link ConfigError}
   *   naming this option): the metadata is first read at the first login, not when the server is created;
   * - `false`: never push (a provider that requires it will refuse the logins).
   *
   * The endpoint must be https: (http: only on loopback hosts, with a loopback issuer). A push the
   * provider refuses (`invalid_request`, `invalid_client`, ...) or that fails validation answers `GET
   * login` with 502 `provider_error`; an unreachable provider, 429 or 5xx with 502 `provider_unavailable`.
   */
  pushedAuthorizationRequests?: 'auto' | boolean;
  /**
   * Sender-constrained tokens (DPoP, RFC 9449) with one key pair for the whole server: see
   * {@link DPoPServerOption}. The code exchange, every refresh and a pushed authorization request
   * carry a proof signed by `keyPair`; logins bind the code to it (`dpop_jkt`, or the push's proof);
   * API calls through {@link SessionServer.fetch} send `Authorization: DPoP` with a proof. Not with
   * `tokenRoute`: a browser handed a DPoP-bound token could not use it (it has no key to prove it with).
   */
  dpop?: DPoPServerOption;
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

/**
 * The session server's `dpop` option. Why one key pair for the server rather than one per session: the
 * tokens the server keeps (in memory, in Redis, in your database) are then bound to a key that never
 * leaves the server's processes. Whoever reads the store (a dump, a replica, a backup, `MONITOR`) gets
 * tokens that no resource server or provider accepts without a proof signed by that private key.
 */
export interface DPoPServerOption {
  /**
   * The key pair that signs every proof: asymmetric (ECDSA P-256/P-384/P-521, RSASSA-PKCS1-v1_5 or
   * RSA-PSS of 2048+ bits, Ed25519), the private key with the `sign` usage, the public key extractable
   * (its JWK goes into each proof). The private key may, and should, be non-extractable, e.g.
   * `await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])`.
   *
   * Every process sharing a store must use the same key pair, and it must outlive restarts when sessions
   * do (Redis): tokens bound to another key are refused by resource servers until the session's next
   * refresh (confidential clients' refresh tokens are not bound, RFC 9449 §5) binds new ones to this key;
   * a public client's refresh tokens are bound too, so its sessions then end. Import the same private key
   * on every instance (e.g. `crypto.subtle.importKey('pkcs8', ..., false, ['sign'])` from your secret store).
   */
  keyPair: CryptoKeyPair;
  /**
   * Accept a provider that answers a DPoP token request with another `token_type` (RFC 9449 §5 lets it):
   * the session then keeps Bearer tokens, sent as Bearer. Default false: such an answer is refused and
   * nothing is stored (the login lands on `auth_error=invalid_token_response`; a refresh ends the
   * session), and a provider whose metadata does not list the key's algorithm in
   * `dpop_signing_alg_values_supported` fails `GET login` before the browser leaves.
   */
  allowBearer?: boolean;
}

/** The `dpop` option, checked; `alg` is the JWS algorithm of the proofs. */
export interface ResolvedDPoP {
  readonly keyPair: CryptoKeyPair;
  readonly allowBearer: boolean;
  readonly alg: string;
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
  readonly backchannelLogout: boolean;
  readonly apis: readonly ResolvedApiRoute[];
  /**
   * The resource indicators every login asks for (RFC 8707 §2.1): the routes' and
   * `authorizationParams.resource`. Only these can have tokens of their own.
   */
  readonly resources: readonly string[];
  readonly cookieName: string;
  readonly secureCookies: boolean;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly requiredAcr: readonly string[] | undefined;
  readonly sessionCookieSameSite: 'Strict' | 'Lax';
  readonly maxSessionsPerUser: number;
  readonly pushedAuthorizationRequests: 'auto' | boolean;
  readonly dpop: ResolvedDPoP | undefined;
  readonly idTokenSigningAlg: string;
  readonly leewayMs: number;
  readonly requestTimeoutMs_: number;
  readonly storeTimeoutMs: number;
  readonly fetch: typeof fetch | undefined;
  readonly now: () => number;
}

/**
 * Live sessions one user may hold by default; a login beyond it ends that user's oldest session. Enough
 * for every device and browser profile a person uses within the idle timeout, few enough that one
 * account replaying logins cannot fill a store.
 */
export const DEFAULT_MAX_SESSIONS_PER_USER = 50;

const KNOWN = new Set([
  'issuer', 'clientId', 'clientSecret', 'tokenEndpointAuthMethod', 'appUrl', 'basePath', 'postLogoutRedirectUri', 'scope',
  'secret', 'store', 'idleTimeoutSeconds', 'absoluteTimeoutSeconds', 'tokenRoute', 'cookieName', 'authorizationParams',
  'requiredAcr', 'sessionCookieSameSite', 'maxSessionsPerUser', 'pushedAuthorizationRequests', 'dpop', 'idTokenSigningAlg', 'leewaySeconds', 'requestTimeoutSeconds', 'storeTimeoutSeconds', 'fetch', 'now',
]);
KNOWN.add('backchannelLogout');
KNOWN.add('apis');

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
  // A public client only when asked for: a forgotten secret must not silently drop client authentication.
  if (!method && !clientSecret) {
    throw new ConfigError('clientSecret', "required for a confidential client; for a public client (PKCE only) set tokenEndpointAuthMethod: 'none'");
  }
  if (method === 'none' && clientSecret) throw new ConfigError('clientSecret', "not used with tokenEndpointAuthMethod 'none': remove one of them");
  const store = input.store ?? memoryStore({ ...(input.now ? { now: input.now } : {}) });
  if (!isStore(store)) throw new ConfigError('store', 'expected memoryStore(), redisStore(...), cookieStore() or a SessionStore');
  const tokenRoute = input.tokenRoute ?? false;
  if (typeof tokenRoute !== 'boolean') throw new ConfigError('tokenRoute', 'expected true or false');
  if (tokenRoute && store.kind === 'cookie') throw new ConfigError('tokenRoute', 'the stateless cookie store keeps no tokens to hand out');
  const backchannelLogout = input.backchannelLogout ?? false;
  if (typeof backchannelLogout !== 'boolean') throw new ConfigError('backchannelLogout', 'expected true or false');
  if (backchannelLogout && store.kind === 'cookie') throw new ConfigError('backchannelLogout', 'the stateless cookie store keeps sessions in the browser, where no logout token can end them');
  const apis = resolveApiRoutes(input.apis, basePath);
  if (apis.length && store.kind === 'cookie') throw new ConfigError('apis', 'the stateless cookie store keeps no tokens to send to an API');
  const idleMs = seconds('idleTimeoutSeconds', input.idleTimeoutSeconds, 86_400);
  const absoluteMs = seconds('absoluteTimeoutSeconds', input.absoluteTimeoutSeconds, 7 * 86_400);
  const cookieName = text('cookieName', input.cookieName, '__Host-oidc-session');
  if (!/^[\w\-.]+$/.test(cookieName)) throw new ConfigError('cookieName', 'expected letters, digits, "-", "_" or "."');
  // Without the prefix a sibling subdomain can set its own cookie of that name for the parent domain
  // (cookie tossing: the victim signed in as the attacker). RFC 6265bis §4.1.3.2.
  if (!cookieName.startsWith('__Host-')) throw new ConfigError('cookieName', 'must start with "__Host-" so that no other host can set it');
  for (const name of ['fetch', 'now'] as const) {
    if (input[name] !== undefined && typeof input[name] !== 'function') throw new ConfigError(name, 'expected a function');
  }
  const postLogout = input.postLogoutRedirectUri === undefined ? `${app.origin}/` : secureUrl('postLogoutRedirectUri', input.postLogoutRedirectUri).href;
  const authorizationParams = checkAuthorizationParams('authorizationParams', input.authorizationParams ?? {});
  if (authorizationParams.resource) checkResourceIndicator(authorizationParams.resource, 'authorizationParams');
  const resources = [...new Set([...(authorizationParams.resource ? [authorizationParams.resource] : []), ...routeResources(apis)])];
  if (authorizationParams.max_age !== undefined && maxAgeOf(authorizationParams.max_age) === undefined) {
    throw new ConfigError('authorizationParams', '"max_age" must be whole seconds (digits only)');
  }
  const requiredAcr = input.requiredAcr;
  if (
    requiredAcr !== undefined &&
    (!Array.isArray(requiredAcr) || requiredAcr.length === 0 || !requiredAcr.every((acr) => typeof acr === 'string' && /^[\x21-\x7e]{1,256}$/.test(acr)))
  ) {
    throw new ConfigError('requiredAcr', 'expected a non-empty list of acr values (no spaces)');
  }
  const sameSite = input.sessionCookieSameSite ?? 'strict';
  if (sameSite !== 'strict' && sameSite !== 'lax') throw new ConfigError('sessionCookieSameSite', "expected 'strict' or 'lax'");
  const maxSessionsPerUser = input.maxSessionsPerUser ?? DEFAULT_MAX_SESSIONS_PER_USER;
  if (!Number.isInteger(maxSessionsPerUser) || maxSessionsPerUser < 1 || maxSessionsPerUser > 10_000) {
    throw new ConfigError('maxSessionsPerUser', 'expected a whole number from 1 to 10000');
  }
  const pushedAuthorizationRequests = input.pushedAuthorizationRequests ?? 'auto';
  if (pushedAuthorizationRequests !== 'auto' && typeof pushedAuthorizationRequests !== 'boolean') {
    throw new ConfigError('pushedAuthorizationRequests', "expected 'auto', true or false");
  }
  const dpop = input.dpop === undefined ? undefined : resolveDPoP(input.dpop);
  if (dpop && tokenRoute) throw new ConfigError('tokenRoute', 'hands the browser DPoP-bound access tokens it cannot use (the key stays on the server): use SessionServer.fetch');
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
    backchannelLogout,
    apis,
    resources,
    cookieName,
    // `__Host-` cookies must be Secure; browsers accept Secure cookies from http://localhost too.
    secureCookies: true,
    authorizationParams,
    requiredAcr: requiredAcr && Object.freeze([...requiredAcr]),
    sessionCookieSameSite: sameSite === 'strict' ? 'Strict' : 'Lax',
    maxSessionsPerUser,
    pushedAuthorizationRequests,
    dpop,
    idTokenSigningAlg: alg,
    leewayMs: seconds('leewaySeconds', input.leewaySeconds, 30, 0),
    requestTimeoutMs_: seconds('requestTimeoutSeconds', input.requestTimeoutSeconds, 10),
    storeTimeoutMs: seconds('storeTimeoutSeconds', input.storeTimeoutSeconds, 2, 0.001),
    fetch: input.fetch,
    now: input.now ?? Date.now,
  };
}

/** Checks the `dpop` option; the JWS algorithm is the one oauth4webapi will sign its proofs with. */
function resolveDPoP(value: unknown): ResolvedDPoP {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError('dpop', 'expected { keyPair, allowBearer? }');
  for (const key of Object.keys(value)) if (key !== 'keyPair' && key !== 'allowBearer') throw new ConfigError('dpop', `unknown option "${key}"`);
  const { keyPair, allowBearer = false } = value as Partial<DPoPServerOption>;
  if (typeof allowBearer !== 'boolean') throw new ConfigError('dpop', 'allowBearer must be true or false');
  const { privateKey, publicKey } = (keyPair ?? {}) as Partial<CryptoKeyPair>;
  if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey) || privateKey.type !== 'private' || publicKey.type !== 'public') {
    throw new ConfigError('dpop', 'keyPair must be a CryptoKeyPair (crypto.subtle.generateKey or importKey)');
  }
  if (!privateKey.usages.includes('sign')) throw new ConfigError('dpop', 'keyPair.privateKey must have the "sign" usage');
  // The proof's header carries the public key as a JWK (RFC 9449 §4.2); the private key need not be extractable.
  if (!publicKey.extractable) throw new ConfigError('dpop', 'keyPair.publicKey must be extractable (each proof carries it)');
  const alg = jwsAlgorithm(privateKey.algorithm);
  if (!alg || jwsAlgorithm(publicKey.algorithm) !== alg) {
    throw new ConfigError('dpop', 'keyPair must be ECDSA (P-256, P-384, P-521), RSASSA-PKCS1-v1_5 or RSA-PSS (2048+ bits, SHA-2) or Ed25519');
  }
  return { keyPair: keyPair as CryptoKeyPair, allowBearer, alg };
}

/** The JWS `alg` for a WebCrypto signing key, as oauth4webapi chooses it; undefined for keys a proof may not use. */
function jwsAlgorithm(algorithm: KeyAlgorithm): string | undefined {
  const { namedCurve } = algorithm as EcKeyAlgorithm;
  const { hash, modulusLength } = algorithm as RsaHashedKeyAlgorithm;
  const bits = /^SHA-(256|384|512)$/.exec(hash?.name ?? '')?.[1];
  switch (algorithm.name) {
    case 'ECDSA':
      return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[namedCurve];
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS':
      return bits && modulusLength >= 2048 ? `${algorithm.name === 'RSA-PSS' ? 'PS' : 'RS'}${bits}` : undefined;
    case 'Ed25519':
      return 'Ed25519';
    default:
      return undefined;
  }
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
