import { ConfigError } from '../errors/errors.js';
import type { StorageAdapter } from '../platform/storage.js';
import type { DPoPHooks, ProtocolHooks } from './protocol-hooks.js';

/** Options for {@link AuthClient}. Only `issuer`, `clientId` and `redirectUri` are required. */
export interface AuthClientOptions {
  /** The provider's issuer identifier, e.g. `https://passport.rollup.id`. `http:` only on loopback hosts. */
  issuer: string;
  /** The client id registered at the provider (a public client: PKCE, no secret). */
  clientId: string;
  /**
   * Absolute URL the provider sends the login response to, registered at the provider: the page that
   * calls `handleRedirect()`, or for a native app a private-use scheme in reverse-DNS form
   * (`com.example.app:/callback`, RFC 8252 §7.1), a claimed `https:` URL, or a loopback
   * `http://127.0.0.1` URL (see `oidc-session/loopback`). No fragment.
   */
  redirectUri: string;
  /**
   * Where the provider sends the user after logout, registered at the provider. A list allows
   * `logout({ returnTo })` to pick one; the first entry is the default. Default: the origin of an http(s)
   * `redirectUri` + `/`; for a private-use scheme, `redirectUri` itself.
   */
  postLogoutRedirectUri?: string | readonly string[];
  /** Space-separated scopes; must include `openid`. Default `openid profile email`. */
  scope?: string;
  /**
   * Where the session lives. Default `sessionStorage` (this tab, survives reloads, handed to new tabs).
   * Others are imported, so apps that do not use them do not ship them: `indexedDbStorage()`
   * (every tab, survives restarts), `memoryStorage()` (this page only), or your own adapter.
   */
  storage?: StorageAdapter;
  /**
   * With per-tab storage (`sessionStorage`, memory), tabs of the app share one session: a new tab adopts it
   * from an open sibling and a login in one tab signs the others in. `false` keeps each tab's session
   * its own (a logout still ends every tab's). Default `true`. IndexedDB is shared by nature.
   */
  shareSessionAcrossTabs?: boolean;
  /**
   * Renew the access token in the background shortly before it expires (timers are throttled in
   * hidden tabs, so the SDK also checks on wake-up). Default `false`: tokens renew on demand.
   */
  autoRefresh?: boolean;
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
  /**
   * The provider's discovery document (the JSON at `/.well-known/openid-configuration`), for
   * providers that do not serve one to browsers or to save its request on every visit. Checked
   * exactly like a fetched copy: its `issuer` must equal `issuer`; the members Discovery §3 requires
   * (`authorization_endpoint`, `token_endpoint`, `jwks_uri`, `response_types_supported` with "code",
   * `subject_types_supported`, `id_token_signing_alg_values_supported`) must be there; endpoints
   * https:. A bad one fails the first call that needs it with a {@link ConfigError} naming `metadata`.
   * Default: fetched.
   */
  metadata?: Readonly<Record<string, unknown>>;
  /** Replaces `globalThis.fetch` for every request to the provider. */
  fetch?: typeof globalThis.fetch;
  /**
   * Opens the provider's pages for `login()` and `logout()`. Default `location.assign` (a full-page
   * redirect). Native, desktop and extension apps open the system browser, an in-app browser tab or
   * `chrome.identity.launchWebAuthFlow` here. Resolve with the URL the provider redirected back to and
   * `login()` completes the login itself; resolve with nothing and hand that URL to `handleRedirect(url)`
   * when it arrives (a deep link, also after a cold start).
   */
  navigate?: Navigate;
  /** Replaces the clock (epoch milliseconds). Default `Date.now`. */
  now?: () => number;
  /**
   * Sender-constrained tokens (RFC 9449): `dpop()` from `oidc-session/dpop`. Every token request then
   * carries a proof signed with a key that cannot leave the browser, and the tokens are bound to it.
   */
  dpop?: DPoPHooks;
  /** Pushed authorization requests (RFC 9126): `par()` from `oidc-session/par`. */
  par?: ProtocolHooks;
}

/** Opens a URL of the provider; may resolve with the URL the provider sent the user back to. */
export type Navigate = (url: string) => void | Promise<string | URL | void | undefined>;

/** Options after validation and defaults: the only shape the rest of the SDK reads. */
export interface ResolvedOptions {
  readonly issuer: URL;
  readonly clientId: string;
  readonly redirectUri: string;
  /**
   * The only origin `returnTo` may point at: that of an http(s) `redirectUri`; for a private-use
   * scheme a stand-in (`returnTo` is then a path).
   */
  readonly appOrigin: string;
  readonly postLogoutRedirectUris_: readonly string[];
  readonly scope: string;
  readonly storage?: StorageAdapter | undefined;
  readonly shareSessionAcrossTabs: boolean;
  readonly autoRefresh?: boolean | undefined;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly idTokenSigningAlg: string;
  readonly leewaySeconds: number;
  readonly clockToleranceSeconds: number;
  readonly requestTimeoutMs_: number;
  /** True only for an `http:` issuer on a loopback host (local development). */
  readonly allowInsecureRequests_: boolean;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly fetch?: typeof globalThis.fetch | undefined;
  readonly navigate?: Navigate | undefined;
  readonly now: () => number;
  readonly dpop?: DPoPHooks | undefined;
  readonly par?: ProtocolHooks | undefined;
}

/** Parameters the SDK owns: letting an app set them would break PKCE, state or nonce binding. */
const RESERVED_PARAMS = /^(client_id|redirect_uri|response_type|response_mode|scope|state|nonce|code_challenge|code_challenge_method|request|request_uri)$/;
const ASYMMETRIC_ALG = /^([RPE]S(256|384|512)|EdDSA|Ed25519)$/;
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** True for a loopback host name, the only place plain `http:` is accepted. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.includes(hostname);
}

type Check = (value: unknown) => string | undefined;
const string: Check = (v) => (typeof v === 'string' && v.trim() ? undefined : 'expected a non-empty string');
const seconds: Check = (v) => (v === undefined || (typeof v === 'number' && v >= 0 && v < Infinity) ? undefined : 'expected seconds (0 or more)');
const flag: Check = (v) => (v === undefined || typeof v === 'boolean' ? undefined : 'expected true or false');
const fn: Check = (v) => (v === undefined || typeof v === 'function' ? undefined : 'expected a function');
const object: Check = (v) => (v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? undefined : 'expected an object');
// https:, or http: on a loopback host only (development): the issuer, and where codes and users are sent
// (RFC 9700 §2.6, RFC 6749 §3.1.2.1).
const SECURE_ONLY = 'must be https: (http: only on loopback hosts)';
const isSecure = (url: URL | undefined) => url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopbackHost(url.hostname));

/** `value` as a URL when it is https:, or http: on a loopback host; else undefined. */
export const secureUrl = (value: unknown): URL | undefined => {
  const url = toUrl(value);
  return isSecure(url) ? url : undefined;
};
// RFC 8252 §7.1: a native app's private-use scheme is a domain name it controls, reversed
// (`com.example.app:`); a bare word (`myapp:`) can be claimed by any other app on the device. The URL
// parser has already checked the scheme's characters.
// Labels of letters and digits, inner hyphens allowed (\w is [a-z0-9] here: the URL parser allows no
// `_` in a scheme and lowercases it).
const REVERSE_DNS = /^(\w+(-+\w+)*\.)+\w+(-+\w+)*:$/;
const appUrl: Check = (v) => {
  const url = toUrl(v);
  return !url?.href.includes('#') && (isSecure(url) || REVERSE_DNS.test(String(url?.protocol))) ? undefined : SECURE_ONLY + ', or com.example.app:/path; no #fragment';
};

/** One check per option; the keys are also the list of known options. */
const CHECKS: Record<keyof AuthClientOptions, Check> = {
  issuer: (v) => {
    const url = toUrl(v);
    if (!url || url.search || url.hash) return 'expected a URL without query or fragment';
    return isSecure(url) ? undefined : SECURE_ONLY;
  },
  clientId: string,
  redirectUri: appUrl,
  postLogoutRedirectUri: (v) =>
    v === undefined ? undefined : typeof v === 'string' ? appUrl(v) : Array.isArray(v) && v.length ? v.map(appUrl).find(Boolean) : 'expected a URL or a list',
  scope: (v) => (v === undefined ? undefined : string(v) ?? (String(v).split(' ').includes('openid') ? undefined : 'must include "openid"')),
  storage: (v) =>
    v === undefined ||
    (typeof v === 'object' && v !== null && ['get', 'set', 'remove', 'keys'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'))
      ? undefined
      : 'expected a storage adapter',
  shareSessionAcrossTabs: flag,
  autoRefresh: flag,
  authorizationParams: (v) => (v === undefined ? undefined : paramsProblem(v)),
  idTokenSigningAlg: (v) => (v === undefined || ASYMMETRIC_ALG.test(String(v)) ? undefined : 'expected an asymmetric algorithm'),
  leewaySeconds: seconds,
  clockToleranceSeconds: seconds,
  requestTimeoutSeconds: (v) => seconds(v) ?? (v === 0 ? 'must be above 0' : undefined),
  metadata: object,
  fetch: fn,
  navigate: fn,
  now: fn,
  dpop: object,
  par: object,
};

/** Validates options and applies defaults. Throws {@link ConfigError} naming the first bad option. */
export function resolveOptions(input: AuthClientOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new ConfigError('options', 'expected an object');
  for (const key of Object.keys(input)) {
    if (!(key in CHECKS)) throw new ConfigError(key, 'unknown option');
  }
  for (const [key, check] of Object.entries(CHECKS)) {
    const problem = check(input[key as keyof AuthClientOptions]);
    if (problem) throw new ConfigError(key, problem);
  }
  const issuer = new URL(input.issuer);
  const redirect = new URL(input.redirectUri);
  // A private-use scheme has no origin ("null"): its post-logout return is the redirect URI itself, and
  // its returnTo a path (held against a stand-in origin; a native app's page may be capacitor: or file:).
  const native = redirect.origin == 'null';
  const postLogout = input.postLogoutRedirectUri ?? (native ? redirect.href : redirect.origin + '/');
  // The options as given (every one checked above), then the defaults and the derived values.
  return {
    ...input,
    issuer,
    redirectUri: redirect.href,
    appOrigin: native ? 'https://localhost' : redirect.origin,
    postLogoutRedirectUris_: (typeof postLogout === 'string' ? [postLogout] : postLogout).map((uri) => new URL(uri).href),
    scope: input.scope ?? 'openid profile email',
    shareSessionAcrossTabs: input.shareSessionAcrossTabs ?? true,
    authorizationParams: { ...input.authorizationParams },
    idTokenSigningAlg: input.idTokenSigningAlg ?? 'RS256',
    leewaySeconds: input.leewaySeconds ?? 30,
    clockToleranceSeconds: input.clockToleranceSeconds ?? 30,
    requestTimeoutMs_: (input.requestTimeoutSeconds ?? 10) * 1000,
    allowInsecureRequests_: issuer.protocol === 'http:',
    now: input.now ?? Date.now,
  };
}

/**
 * Checks what one `login()` or `logout()` call may override: its redirect URI (a loopback port chosen
 * for this login) and how the provider's page is opened. Returns the redirect URI, normalised.
 */
export function checkOverrides(input: { redirectUri?: string | undefined; navigate?: unknown }): string | undefined {
  for (const key of ['redirectUri', 'navigate'] as const) {
    const problem = input[key] === undefined ? undefined : CHECKS[key](input[key]);
    if (problem) throw new ConfigError(key, problem);
  }
  return input.redirectUri && new URL(input.redirectUri).href;
}

/** Checks extra authorization parameters passed to a `login()` call. */
export function checkAuthorizationParams(option: string, params: unknown): Readonly<Record<string, string>> {
  const problem = paramsProblem(params);
  if (problem) throw new ConfigError(option, problem);
  return params as Record<string, string>;
}

function paramsProblem(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'expected an object of strings';
  for (const [key, value] of Object.entries(params)) {
    if (RESERVED_PARAMS.test(key)) return `"${key}" is reserved`;
    if (typeof value !== 'string') return `"${key}" must be a string`;
  }
  return undefined;
}

function toUrl(value: unknown): URL | undefined {
  try {
    return typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}
