import { ConfigError, LoginRequiredError, OAuthError, isAuthError, type AuthError } from '../errors/errors.js';
import { authErrorCode } from '../errors/auth-error-codes.js';
import { sameOriginPath } from '../protocol/return-to.js';
import { MAX_COOKIE_BYTES, cookiesStartingWith, readCookie, serializeCookie } from './cookies.js';
import { isSameOriginRequest } from './csrf.js';
import { sessionFetch } from './api-fetch.js';
import { SessionStoreError } from './errors.js';
import { errorResponse, header, json, redirect, type RequestLike } from './http-messages.js';
import { resolveServerOptions, type ResolvedServerOptions, type SessionServerOptions } from './options.js';
import { landingPage } from './landing-page.js';
import { loginParams } from './login-params.js';
import { RelyingParty, type PendingLogin, type ServerTokens } from './relying-party.js';
import { createSealer, type Sealer } from './seal.js';
import { Sessions, type Session, type SessionMatch } from './sessions.js';
import { backchannelLogout } from './backchannel/route.js';
import { API_METHODS, matchApiRoute } from './proxy/api-routes.js';
import { forwardToApi, type ProxyContext } from './proxy/forward.js';
import { canForwardOnNode } from './proxy/node-forward.js';

const PENDING_LOGIN_SECONDS = 600;
/** How far in the future a pending login's issue time may be (clocks of several servers disagree a little). */
const PENDING_CLOCK_SKEW_MS = 60_000;
const MAX_PENDING_LOGINS = 5;
/** Five pending logins with a return path this long still fit one 4096-byte cookie each and a 16 KiB header. */
const MAX_RETURN_TO_CHARS = 1024;

/** A fresh access token as `GET token` and {@link SessionServer.getAccessToken} hand it out. */
export interface AccessToken {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch ms; 0 when the provider did not say. */
  readonly expiresAt: number;
  readonly scope?: string;
}

/** Which access token {@link SessionServer.getAccessToken} and {@link SessionServer.fetch} use. */
export interface TokenOptions {
  /**
   * A resource indicator (RFC 8707), e.g. `https://orders.example`: a token issued for that resource
   * alone, asked for with the session's refresh token (§2.2) and kept beside the login's, as API
   * routes with `resource` get. One the logins ask for: an `apis` route's `resource` or
   * `authorizationParams.resource` (any other is a TypeError). A session whose login did not ask for
   * it (begun before the configuration named it) gets a {@link LoginRequiredError} and stays: a new
   * login asks for it. Default: the login's own access token.
   */
  resource?: string;
}

/** What {@link createSessionServer} returns. */
export interface SessionServer {
  /**
   * Serves the routes under `basePath`: `GET login`, `GET callback`, `GET session`, `POST logout` and,
   * when enabled, `GET token` and `POST backchannel-logout`; and the proxied paths of `apis` (every
   * method but TRACE, CONNECT and TRACK), whose answers stream. Any other path answers 404.
   */
  handle(request: Request): Promise<Response>;
  /** True when `pathname` is one of this server's routes (for adapters deciding whether to handle a request). */
  owns(pathname: string): boolean;
  /**
   * The `Allow` value of the route at `pathname` (`GET, HEAD` or `POST`), or undefined when no route
   * is there (404). For adapters that answer 405 before building a `Request`, which cannot carry
   * every method a client sends (TRACE, CONNECT, TRACK).
   */
  allowedMethods(pathname: string): string | undefined;
  /**
   * The live session behind the request's cookie, or undefined; pushes the idle expiry back. In the
   * stateless cookie mode, pass the response's headers (a `Headers`, or anything with `append`) so a
   * renewed cookie can be set on them.
   * @throws {@link SessionStoreError} when the store is unavailable.
   */
  getSession(request: RequestLike, responseHeaders?: Pick<Headers, 'append'>): Promise<Session | undefined>;
  /**
   * An access token for the request's session that is valid for at least the leeway, refreshed if
   * needed (once across processes), for the app's own calls to APIs. Undefined without a session.
   * With the `dpop` option the token (`tokenType: 'dpop'`) is bound to the server's key and useless
   * without a proof: call APIs with {@link SessionServer.fetch} instead.
   * @throws {@link LoginRequiredError} when the provider refused to renew it (the session is ended).
   */
  getAccessToken(request: RequestLike, options?: TokenOptions): Promise<AccessToken | undefined>;
  /**
   * `fetch` for the app's calls to APIs on behalf of the request's session (`input` and `init` as for
   * `fetch`, an absolute URL). The access token, refreshed when due as {@link getAccessToken} does, goes
   * in `Authorization` (any the caller set is replaced): with the `dpop` option as `DPoP <token>` with a
   * fresh `DPoP` proof for this method and URL (`ath` the token's hash, the API's last nonce), else as
   * `Bearer <token>`.
   * - A 401 with a DPoP `use_dpop_nonce` challenge and a `DPoP-Nonce` is sent once more, with a new
   *   proof carrying that nonce (RFC 9449 §9); nonces are kept per origin for the next calls.
   * - A 401 with `error="invalid_token"` refreshes the session's tokens once and sends once more (RFC 6750 §3.1).
   * - The body is read once up front, so either retry can send it again.
   * - Every other response, errors and redirects included (they are not followed), comes back untouched.
   *
   * The URL must be https: (http: only on loopback hosts): a token never crosses a network in plain text.
   * There is no deadline of its own: pass `init.signal` (e.g. `AbortSignal.timeout(5000)`).
   * @throws {@link LoginRequiredError} without a session, or when its tokens cannot be renewed (the session is ended).
   * @throws {@link NetworkError} when a refresh is due and the provider is unreachable (the session stays).
   * @throws {@link SessionStoreError} when the store is unavailable.
   * @throws TypeError for a URL that is not allowed, and whatever `fetch` throws.
   */
  fetch(request: RequestLike, input: string | URL | Request, init?: RequestInit, options?: TokenOptions): Promise<Response>;
  /**
   * Ends sessions from the server side (an admin disabled the user, a password changed): every live
   * session of the user `sub` (only those of the provider session `sid` when both are given), or of
   * the provider session `sid`, on every process sharing the store. The browser's next `GET session`
   * is a 401 with `reason: 'ended'`, which the browser client reports as a `logout` event with that
   * reason. Resolves with how many sessions ended. Sessions that began under an older `secret` are
   * found too.
   * @throws {@link ConfigError} in the stateless cookie mode (its sessions live in the browser).
   * @throws {@link SessionStoreError} when the store is unavailable (sessions ended so far stay ended).
   */
  endSessions(match: SessionMatch): Promise<number>;
  /** The resolved configuration's cookie name (for tests and adapters). */
  readonly cookieName: string;
  /** The app's origin (from `appUrl`): adapters check `Origin` against it (see {@link sessionMiddleware}). */
  readonly appOrigin: string;
}

/**
 * The session server ("backend for frontend"): signs users in with the authorization-code flow as a
 * confidential (or public) client, keeps tokens on the server and gives the browser only an HttpOnly
 * session cookie. A Web-standard handler; see `nodeHandler` for Node's http module and Express.
 * @throws {@link ConfigError} naming the first invalid option.
 */
export function createSessionServer(input: SessionServerOptions): SessionServer {
  const options = resolveServerOptions(input);
  const rp = new RelyingParty(options);
  const sessions = new Sessions(options, rp);
  const pendingSealer = createSealer(options.secrets, 'pending-login');
  const routes = new Routes(options, rp, sessions, pendingSealer);
  const server: SessionServer = {
    cookieName: options.cookieName,
    appOrigin: options.appOrigin,
    owns: (pathname) => pathname === options.basePath || pathname.startsWith(`${options.basePath}/`) || matchApiRoute(options.apis, pathname) !== undefined,
    allowedMethods: (pathname) => routes.allowedMethods(pathname),
    handle: (request) => routes.handle(request),
    getSession: async (request, responseHeaders) => {
      const found = await sessions.read(sessionCookieOf(request, options));
      if (found?.renewedCookie && responseHeaders) responseHeaders.append('set-cookie', routes.sessionCookie(found.renewedCookie, found.session));
      return found?.session;
    },
    getAccessToken: async (request, tokenOptions) => {
      const resource = resourceOption(tokenOptions, options, 'getAccessToken');
      const found = await sessions.read(sessionCookieOf(request, options));
      return found && toAccessToken(await sessions.tokens(found.session, false, resource));
    },
    fetch: async (request, input, init, tokenOptions) => {
      const resource = resourceOption(tokenOptions, options, 'fetch');
      // Read when the request is known to be sendable (the URL checked, the body read), once.
      let found: Promise<Session> | undefined;
      const session = () =>
        (found ??= sessions.read(sessionCookieOf(request, options)).then((read) => {
          if (!read) throw new LoginRequiredError('no session');
          return read.session;
        }));
      return sessionFetch(rp, options.dpop, async (force) => sessions.tokens(await session(), force, resource), input, init);
    },
    endSessions: async (match) => {
      if (options.store.kind === 'cookie') throw new ConfigError('store', 'stateless cookie sessions live in the browser and cannot be ended from the server');
      const { sid, sub } = (match ?? {}) as SessionMatch;
      for (const [name, value] of [['sid', sid], ['sub', sub]] as const) {
        if (value !== undefined && (typeof value !== 'string' || !value)) throw new TypeError(`endSessions: ${name} must be a non-empty string`);
      }
      if (sid === undefined && sub === undefined) throw new TypeError('endSessions: give sub, sid or both');
      return sessions.endSessions({ ...(sid === undefined ? {} : { sid }), ...(sub === undefined ? {} : { sub }) }, 'ended');
    },
  };
  // nodeHandler forwards on node:http where it can: Bearer tokens (DPoP proofs go through oauth4webapi) and no `fetch` of the app's own.
  if (options.apis.length && !options.dpop && !options.fetch && canForwardOnNode(routes.proxy)) nodeProxies.set(server, routes.proxy);
  return server;
}

const nodeProxies = new WeakMap<SessionServer, ProxyContext>();

/** The API proxy's context when `server`'s routes can be forwarded on node:http (see proxy/node-forward.ts), for nodeHandler. */
export function nodeProxyOf(server: SessionServer): ProxyContext | undefined {
  return nodeProxies.get(server);
}

class Routes {
  readonly proxy: ProxyContext;

  constructor(
    readonly options: ResolvedServerOptions,
    readonly rp: RelyingParty,
    readonly sessions: Sessions,
    readonly pendingSealer: Sealer,
  ) {
    this.proxy = {
      appOrigin: options.appOrigin,
      routes: options.apis,
      rp,
      dpop: options.dpop,
      requestedScope: options.scope,
      session: async (request) => {
        const found = await sessions.read(sessionCookieOf(request, options));
        return found && { session: found.session, cookies: found.renewedCookie ? [this.sessionCookie(found.renewedCookie, found.session)] : [] };
      },
      tokens: (session, force, resource) => sessions.tokens(session, force, resource),
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      fail: (error) => errorResponse(error, options.now()),
    };
  }

  /** Answers every request: nothing a route throws escapes, and the status says whose failure it was (`errorResponse`). */
  async handle(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      const allow = this.allowedMethods(url.pathname);
      if (!allow) return json(404, { error: 'not_found' });
      if (!allow.split(', ').includes(request.method)) return json(405, { error: 'method_not_allowed' }, [], { allow });
      const api = matchApiRoute(this.options.apis, url.pathname);
      if (api) return await forwardToApi(request, api, this.proxy);
      switch (this.route(url.pathname)) {
        case 'login':
          return await this.login(request, url);
        case 'callback':
          return await this.callback(request, url);
        case 'session':
          return await this.session(request);
        case 'logout':
          return await this.logout(request);
        case 'backchannel-logout':
          return await backchannelLogout(request, this.options, this.rp, this.sessions);
        default:
          return await this.token(request);
      }
    } catch (error) {
      return errorResponse(error, this.options.now());
    }
  }

  /** The route name under `basePath` (`login`, ...), or '' for a path outside it. */
  route(pathname: string): string {
    const base = `${this.options.basePath}/`;
    return pathname.startsWith(base) ? pathname.slice(base.length) : '';
  }

  /** See {@link SessionServer.allowedMethods}. A list, not an object lookup: `constructor` is no route. */
  allowedMethods(pathname: string): string | undefined {
    if (matchApiRoute(this.options.apis, pathname)) return API_METHODS;
    const route = this.route(pathname);
    if (route === 'logout' || (route === 'backchannel-logout' && this.options.backchannelLogout)) return 'POST';
    return ['login', 'callback', 'session', ...(this.options.tokenRoute ? ['token'] : [])].includes(route) ? 'GET, HEAD' : undefined;
  }

  /** `GET login?returnTo=/path`: starts a login and sends the browser to the provider. */
  async login(request: Request, url: URL): Promise<Response> {
    // RFC 6749 §3.1's rule for parameters holds for ours too: one returnTo, or which one would be meant?
    const returnTo = url.searchParams.getAll('returnTo').length > 1 ? undefined : sameOriginPath(url.searchParams.get('returnTo') ?? '/', this.options.appOrigin);
    // It rides in the pending-login cookie: bounded so that cookie, and a handful of them, fit what browsers keep.
    if (returnTo === undefined || returnTo.length > MAX_RETURN_TO_CHARS) return json(400, { error: 'invalid_return_to' });
    // Configured parameters win; the link may only tighten them (src/server/login-params.ts).
    const merged = loginParams(this.options.authorizationParams, url.searchParams, this.options.requiredAcr);
    if ('refused' in merged) return json(400, { error: 'invalid_login_parameter', parameter: merged.refused });
    const { url: authorizationUrl, pending } = await this.rp.authorizationUrl(returnTo, merged.params);
    const cookies = [serializeCookie(this.pendingName(pending.state), await this.pendingSealer.seal(JSON.stringify(pending)), this.cookieAttributes(PENDING_LOGIN_SECONDS))];
    // Abandoned logins expire by themselves; beyond a handful, drop the extra ones now.
    const open = cookiesStartingWith(header(request, 'cookie'), this.pendingPrefix());
    for (const [name] of open.slice(0, Math.max(0, open.length - MAX_PENDING_LOGINS + 1))) cookies.push(serializeCookie(name, '', this.cookieAttributes(0)));
    return redirect(authorizationUrl, cookies);
  }

  /** `GET callback`: completes the login, starts a new session, returns to the app. */
  async callback(request: Request, url: URL): Promise<Response> {
    // HEAD (a link checker, a prefetching proxy) must not spend the one-time state and code.
    if (request.method === 'HEAD') return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
    const state = url.searchParams.get('state') ?? '';
    const pendingName = this.pendingName(state);
    const sealed = state ? readCookie(header(request, 'cookie'), pendingName) : undefined;
    const pending = sealed ? parsePending(await this.pendingSealer.unseal(sealed)) : undefined;
    // No pending login (forged, replayed, reloaded, other browser): nothing is redeemed, any live session stays.
    if (!pending || pending.state !== state) return redirect(this.errorUrl('/', 'transaction_not_found'));
    const clear = serializeCookie(pendingName, '', this.cookieAttributes(0));
    // The cookie's Max-Age binds only an honest browser; the sealed issue time binds everyone.
    const now = this.options.now();
    const expiresAt = pending.issuedAt + PENDING_LOGIN_SECONDS * 1000;
    if (now >= expiresAt || pending.issuedAt > now + PENDING_CLOCK_SKEW_MS) return redirect(this.errorUrl(pending.returnTo, 'transaction_expired'), [clear]);
    // Single use: the first callback for this state claims it; a concurrent one (a reload, a proxy's
    // retry) or a replay redeems nothing, so the provider never sees the code twice (RFC 6749 §4.1.2).
    // An answer without a code (an error) redeems nothing and needs no claim: anonymous error callbacks write nothing to the store.
    if (url.searchParams.has('code') && !(await this.sessions.claimLogin(state, expiresAt))) return redirect(this.errorUrl(pending.returnTo, 'transaction_not_found'), [clear]);
    let result: Awaited<ReturnType<RelyingParty['redeem']>>;
    try {
      result = await this.rp.redeem(url, pending);
    } catch (error) {
      if (error instanceof SessionStoreError) throw error;
      const code = error instanceof OAuthError ? error.error : isAuthError(error) ? (error as AuthError).code : 'server_error';
      return redirect(this.errorUrl(pending.returnTo, code), [clear]);
    }
    // Never promote a session id known before login (fixation): the old one ends, a new one starts.
    await this.sessions.destroy(sessionCookieOf(request, this.options));
    const { cookie, session } = await this.sessions.create(result.user, result.tokens);
    if (cookie.length > MAX_COOKIE_BYTES - 200) return redirect(this.errorUrl(pending.returnTo, 'session_too_large'), [clear]);
    const cookies = [clear, this.sessionCookie(cookie, session)];
    // A Strict cookie set here would not come along on a redirect in this cross-site chain: step through a same-origin page.
    const landing = this.appUrl(pending.returnTo);
    return this.options.sessionCookieSameSite === 'Strict' ? landingPage(landing, cookies) : redirect(landing, cookies);
  }

  /**
   * `GET session`: the user and expiry as JSON, or 401 (with `reason` when the server ended the
   * session for the user, see `EndReason`). `?background=1` is a page checking without the user
   * doing anything: it does not push the idle expiry back.
   */
  async session(request: Request): Promise<Response> {
    const cookie = sessionCookieOf(request, this.options);
    const found = await this.sessions.read(cookie, new URL(request.url).searchParams.get('background') !== '1');
    if (!found) {
      const reason = await this.sessions.endReason(cookie);
      return json(401, { error: 'login_required', ...(reason ? { reason } : {}) });
    }
    const { user, expiresAt } = found.session;
    return json(200, { user, expiresAt }, found.renewedCookie ? [this.sessionCookie(found.renewedCookie, found.session)] : []);
  }

  /** `POST logout`: ends the session here and at the provider; answers where to send the browser next. */
  async logout(request: Request): Promise<Response> {
    if (!isSameOriginRequest(request, this.options.appOrigin)) return json(403, { error: 'csrf_check_failed' });
    const tokens = await this.sessions.destroy(sessionCookieOf(request, this.options));
    if (tokens?.refreshToken) await this.rp.revoke(tokens.refreshToken);
    const redirectTo = await this.rp.endSessionUrl(tokens?.idToken);
    return json(200, { redirectTo }, [serializeCookie(this.options.cookieName, '', this.cookieAttributes(0, 'session'))]);
  }

  /** `GET token` (opt-in): a fresh access token for the browser. */
  async token(request: Request): Promise<Response> {
    if (!isSameOriginRequest(request, this.options.appOrigin)) return json(403, { error: 'csrf_check_failed' });
    const found = await this.sessions.read(sessionCookieOf(request, this.options));
    if (!found) return json(401, { error: 'login_required' });
    try {
      const force = new URL(request.url).searchParams.get('forceRefresh') === '1';
      return json(200, toAccessToken(await this.sessions.tokens(found.session, force)));
    } catch (error) {
      if (isAuthError(error) && error.code === 'login_required') return json(401, { error: 'login_required' });
      throw error;
    }
  }

  sessionCookie(value: string, session: Session): string {
    return serializeCookie(this.options.cookieName, value, this.cookieAttributes((session.absoluteExpiresAt - this.options.now()) / 1000, 'session'));
  }

  /** Attributes of the pending-login cookies (always Lax: they ride the provider's redirect back) or of the session cookie. */
  cookieAttributes(maxAge: number, cookie: 'pending' | 'session' = 'pending') {
    return { maxAge, secure: this.options.secureCookies, sameSite: cookie === 'session' ? this.options.sessionCookieSameSite : ('Lax' as const) };
  }

  pendingPrefix(): string {
    return `${this.options.cookieName}.login.`;
  }

  pendingName(state: string): string {
    // The state's first characters tell concurrent logins (two tabs) apart.
    return this.pendingPrefix() + state.replace(/[^\w-]/g, '').slice(0, 16);
  }

  /**
   * `returnTo` (normalised once more) as an absolute URL on the app's origin: appended to the origin,
   * never resolved against it, so no path can name another host (`//host/x` would, as a reference).
   */
  appUrl(returnTo: string): string {
    return this.options.appOrigin + (sameOriginPath(returnTo, this.options.appOrigin) ?? '/');
  }

  /** Where a failed login lands: `returnTo` with `auth_error` set to a code of the alphabet (src/errors/auth-error-codes.ts). */
  errorUrl(returnTo: string, code: string): string {
    const url = new URL(this.appUrl(returnTo));
    url.searchParams.set('auth_error', authErrorCode(code));
    return url.href;
  }
}

/** The value of the session cookie the request carries, if any. */
function sessionCookieOf(request: RequestLike, options: ResolvedServerOptions): string | undefined {
  return readCookie(header(request, 'cookie'), options.cookieName);
}

/**
 * The `resource` of a call's {@link TokenOptions}: one the logins ask for, or a TypeError (the
 * caller's bug: a token for any other could only be refused, spending the refresh token).
 */
function resourceOption(tokenOptions: TokenOptions | undefined, options: ResolvedServerOptions, method: string): string | undefined {
  const resource = tokenOptions?.resource;
  if (resource === undefined) return undefined;
  if (typeof resource !== 'string' || !options.resources.includes(resource)) {
    throw new TypeError(`SessionServer.${method}: resource must be one the logins ask for (an apis route's resource or authorizationParams.resource), written the same way`);
  }
  return resource;
}

function toAccessToken(tokens: ServerTokens): AccessToken {
  return { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresAt: tokens.expiresAt, ...(tokens.scope ? { scope: tokens.scope } : {}) };
}

function parsePending(text: string | undefined): PendingLogin | undefined {
  try {
    const value = text ? (JSON.parse(text) as PendingLogin) : undefined;
    return value &&
      typeof value.state === 'string' &&
      typeof value.nonce === 'string' &&
      typeof value.codeVerifier === 'string' &&
      typeof value.returnTo === 'string' &&
      Number.isFinite(value.issuedAt) &&
      (value.maxAge === undefined || Number.isSafeInteger(value.maxAge)) &&
      (value.resources === undefined || typeof value.resources === 'string')
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
