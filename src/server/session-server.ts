import { OAuthError, isAuthError, type AuthError } from '../errors.js';
import { sameOriginPath } from '../return-to.js';
import { MAX_COOKIE_BYTES, cookiesStartingWith, readCookie, serializeCookie } from './cookies.js';
import { isSameOriginRequest } from './csrf.js';
import { SessionStoreError } from './errors.js';
import { header, json, redirect, type RequestLike } from './http-messages.js';
import { resolveServerOptions, type ResolvedServerOptions, type SessionServerOptions } from './options.js';
import { RelyingParty, type PendingLogin, type ServerTokens } from './relying-party.js';
import { createSealer, type Sealer } from './seal.js';
import { Sessions, type Session } from './sessions.js';

/** Authorization parameters a login link may pass through `GET login?...` (the rest are the server's). */
const LOGIN_QUERY_PARAMS = ['prompt', 'login_hint', 'ui_locales', 'max_age', 'acr_values'];
const PENDING_LOGIN_SECONDS = 600;
const MAX_PENDING_LOGINS = 5;

/** A fresh access token as `GET token` and {@link SessionServer.getAccessToken} hand it out. */
export interface AccessToken {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch ms; 0 when the provider did not say. */
  readonly expiresAt: number;
  readonly scope?: string;
}

/** What {@link createSessionServer} returns. */
export interface SessionServer {
  /**
   * Serves the routes under `basePath`: `GET login`, `GET callback`, `GET session`, `POST logout` and,
   * when enabled, `GET token`. Any other path answers 404.
   */
  handle(request: Request): Promise<Response>;
  /** True when `pathname` is one of this server's routes (for adapters deciding whether to handle a request). */
  owns(pathname: string): boolean;
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
   * @throws {@link LoginRequiredError} when the provider refused to renew it (the session is ended).
   */
  getAccessToken(request: RequestLike): Promise<AccessToken | undefined>;
  /** The resolved configuration's cookie name (for tests and adapters). */
  readonly cookieName: string;
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
  return {
    cookieName: options.cookieName,
    owns: (pathname) => pathname === options.basePath || pathname.startsWith(`${options.basePath}/`),
    handle: (request) => routes.handle(request),
    getSession: async (request, responseHeaders) => {
      const found = await sessions.read(sessionCookieOf(request, options));
      if (found?.renewedCookie && responseHeaders) responseHeaders.append('set-cookie', routes.sessionCookie(found.renewedCookie, found.session));
      return found?.session;
    },
    getAccessToken: async (request) => {
      const found = await sessions.read(sessionCookieOf(request, options));
      return found && toAccessToken(await sessions.tokens(found.session));
    },
  };
}

class Routes {
  constructor(
    readonly options: ResolvedServerOptions,
    readonly rp: RelyingParty,
    readonly sessions: Sessions,
    readonly pendingSealer: Sealer,
  ) {}

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const route = url.pathname.startsWith(`${this.options.basePath}/`) ? url.pathname.slice(this.options.basePath.length + 1) : '';
    const method = request.method;
    const allowed: Record<string, string> = { login: 'GET', callback: 'GET', session: 'GET', logout: 'POST', ...(this.options.tokenRoute ? { token: 'GET' } : {}) };
    if (!allowed[route]) return json(404, { error: 'not_found' });
    if (method !== allowed[route] && !(method === 'HEAD' && allowed[route] === 'GET')) {
      const response = json(405, { error: 'method_not_allowed' });
      response.headers.set('allow', allowed[route] as string);
      return response;
    }
    try {
      switch (route) {
        case 'login':
          return await this.login(request, url);
        case 'callback':
          return await this.callback(request, url);
        case 'session':
          return await this.session(request);
        case 'logout':
          return await this.logout(request);
        default:
          return await this.token(request);
      }
    } catch (error) {
      if (error instanceof SessionStoreError) return json(503, { error: 'session_store_unavailable' });
      if (isAuthError(error) && (error.code === 'network_error' || error.code === 'timeout')) return json(502, { error: 'provider_unavailable' });
      return json(500, { error: 'server_error' });
    }
  }

  /** `GET login?returnTo=/path`: starts a login and sends the browser to the provider. */
  async login(request: Request, url: URL): Promise<Response> {
    const returnTo = sameOriginPath(url.searchParams.get('returnTo') ?? '/', this.options.appOrigin);
    if (returnTo === undefined) return json(400, { error: 'invalid_return_to' });
    const params: Record<string, string> = {};
    for (const name of LOGIN_QUERY_PARAMS) {
      const value = url.searchParams.get(name);
      if (value !== null && value.length <= 256) params[name] = value;
    }
    const { url: authorizationUrl, pending } = await this.rp.authorizationUrl(returnTo, params);
    const cookies = [serializeCookie(this.pendingName(pending.state), await this.pendingSealer.seal(JSON.stringify(pending)), this.cookieAttributes(PENDING_LOGIN_SECONDS))];
    // Abandoned logins expire by themselves; beyond a handful, drop the extra ones now.
    const open = cookiesStartingWith(header(request, 'cookie'), this.pendingPrefix());
    for (const [name] of open.slice(0, Math.max(0, open.length - MAX_PENDING_LOGINS + 1))) cookies.push(serializeCookie(name, '', this.cookieAttributes(0)));
    return redirect(authorizationUrl, cookies);
  }

  /** `GET callback`: completes the login, starts a new session, returns to the app. */
  async callback(request: Request, url: URL): Promise<Response> {
    const state = url.searchParams.get('state') ?? '';
    const pendingName = this.pendingName(state);
    const sealed = state ? readCookie(header(request, 'cookie'), pendingName) : undefined;
    const pending = sealed ? parsePending(await this.pendingSealer.unseal(sealed)) : undefined;
    // No pending login (forged, replayed, reloaded, other browser): nothing is redeemed, any live session stays.
    if (!pending || pending.state !== state) return redirect(this.errorUrl('/', 'transaction_not_found'));
    const clear = serializeCookie(pendingName, '', this.cookieAttributes(0));
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
    return redirect(this.options.appOrigin + pending.returnTo, [clear, this.sessionCookie(cookie, session)]);
  }

  /** `GET session`: the user and expiry as JSON, or 401. */
  async session(request: Request): Promise<Response> {
    const found = await this.sessions.read(sessionCookieOf(request, this.options));
    if (!found) return json(401, { error: 'login_required' });
    const { user, expiresAt } = found.session;
    return json(200, { user, expiresAt }, found.renewedCookie ? [this.sessionCookie(found.renewedCookie, found.session)] : []);
  }

  /** `POST logout`: ends the session here and at the provider; answers where to send the browser next. */
  async logout(request: Request): Promise<Response> {
    if (!isSameOriginRequest(request, this.options.appOrigin)) return json(403, { error: 'csrf_check_failed' });
    const tokens = await this.sessions.destroy(sessionCookieOf(request, this.options));
    if (tokens?.refreshToken) await this.rp.revoke(tokens.refreshToken);
    const redirectTo = await this.rp.endSessionUrl(tokens?.idToken);
    return json(200, { redirectTo }, [serializeCookie(this.options.cookieName, '', this.cookieAttributes(0))]);
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
    return serializeCookie(this.options.cookieName, value, this.cookieAttributes((session.absoluteExpiresAt - this.options.now()) / 1000));
  }

  cookieAttributes(maxAge: number) {
    return { maxAge, secure: this.options.secureCookies };
  }

  pendingPrefix(): string {
    return `${this.options.cookieName}.login.`;
  }

  pendingName(state: string): string {
    // The state's first characters tell concurrent logins (two tabs) apart.
    return this.pendingPrefix() + state.replace(/[^\w-]/g, '').slice(0, 16);
  }

  errorUrl(returnTo: string, code: string): string {
    const url = new URL(returnTo, this.options.appOrigin);
    url.searchParams.set('auth_error', code.replace(/[^\w.-]/g, '').slice(0, 64) || 'server_error');
    return url.href;
  }
}

/** The value of the session cookie the request carries, if any. */
function sessionCookieOf(request: RequestLike, options: ResolvedServerOptions): string | undefined {
  return readCookie(header(request, 'cookie'), options.cookieName);
}

function toAccessToken(tokens: ServerTokens): AccessToken {
  return { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresAt: tokens.expiresAt, ...(tokens.scope ? { scope: tokens.scope } : {}) };
}

function parsePending(text: string | undefined): PendingLogin | undefined {
  try {
    const value = text ? (JSON.parse(text) as PendingLogin) : undefined;
    return value && typeof value.state === 'string' && typeof value.nonce === 'string' && typeof value.codeVerifier === 'string' && typeof value.returnTo === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
