import { authErrorCode } from '../errors/auth-error-codes.js';
import { ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError } from '../errors/errors.js';
import type { GetAccessTokenOptions, LoginOptions, LoginResult, RedirectResult } from './client.js';
import { browserRequired } from '../platform/browser.js';
import { logoutResult } from '../protocol/logout-return.js';
import { assignLocation, currentHref, replaceHref } from '../platform/location.js';
import { onPageWake } from '../platform/page-wake.js';
import { openTabChannel, type TabChannel } from '../platform/tab-channel.js';
import { randomId } from '../protocol/random-id.js';
import { sameOriginPath } from '../protocol/return-to.js';
import { ANONYMOUS, StateHub, authenticated } from './state-hub.js';
import type { User } from '../session/token-set.js';

/** Options of {@link AuthClient} in session-server mode: the server holds the tokens, the browser a cookie. */
export interface SessionServerModeOptions {
  /** Where `oidc-session/server` is mounted on this origin, e.g. `/auth`. */
  sessionServer: string;
  /** Renew access tokens from `GET token` this many seconds before they expire. Default 30. */
  leewaySeconds?: number;
  /**
   * How often a visible tab asks the server whether the session still lives, so that a session the
   * server ended (the provider's back-channel logout, `endSessions()`, a timeout) shows as signed out
   * within this many seconds, with a `logout` event saying why. Background checks do not count as
   * activity: they never push the idle timeout back. Hidden tabs do not ask (they do when shown
   * again, as on focus). Default 30; `false` for no periodic checks (then a tab learns on focus, on
   * its next call, or from another tab).
   */
  sessionCheckSeconds?: number | false;
  fetch?: typeof fetch;
  navigate?: (url: string) => void;
  now?: () => number;
}

/** The page's own fetch, looked up at call time (tests and polyfills replace it). */
const pageFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

// A page that keeps getting focus asks the server at most this often.
const RECHECK_MS = 2000;

/**
 * {@link AuthClient} when a session server holds the session: the same API over its routes. The
 * cookie is HttpOnly, so this class never sees a token unless the server's token route hands one out.
 */
export class SessionServerClient extends StateHub {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #navigate: (url: string) => void;
  readonly #now: () => number;
  readonly #leewayMs: number;
  readonly #tabId = randomId();
  #checking: Promise<User | undefined> | undefined;
  #checkedAt = 0;
  /** Logouts in this tab so far: a session check that started before the last one is out of date. */
  #logouts = 0;
  #token: Promise<{ accessToken: string; expiresAt: number }> | undefined;
  #fetching = false;
  #channel: TabChannel | undefined;
  #stopWake: (() => void) | undefined;
  readonly #checkMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #started = false;
  /** The last redirect handled on this page, from its URL and the URL it left: called again, the same promise. */
  #handled: [from: string | undefined, to: string | undefined, result: Promise<RedirectResult>] | undefined;

  constructor(options: SessionServerModeOptions) {
    super();
    const { sessionServer: base, leewaySeconds = 30, sessionCheckSeconds: every = 30 } = options;
    for (const key of Object.keys(options)) {
      if (!['sessionServer', 'leewaySeconds', 'sessionCheckSeconds', 'fetch', 'navigate', 'now'].includes(key)) throw new ConfigError(key, 'unknown option');
    }
    if (every !== false) checkSeconds('sessionCheckSeconds', every, 1);
    this.#checkMs = every ? every * 1000 : 0;
    if (typeof base !== 'string' || !/^\/[\w\-./]*$/.test(base)) throw new ConfigError('sessionServer', 'expected a path such as /auth');
    checkSeconds('leewaySeconds', leewaySeconds, 0);
    for (const key of ['fetch', 'navigate', 'now'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') throw new ConfigError(key, 'expected a function');
    }
    this.#base = base.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? pageFetch;
    this.#navigate = options.navigate ?? assignLocation;
    this.#now = options.now ?? Date.now;
    this.#leewayMs = leewaySeconds * 1000;
  }

  protected begin(): void {
    // On the server there is no cookie to ask with: the state stays `loading` for the browser to settle.
    if (this.#started || (this.#fetch === pageFetch && typeof document === 'undefined')) return;
    this.#started = true;
    // Whatever another tab says, the server decides: a message only makes this tab ask it, so its
    // content needs no checking beyond who sent it.
    this.#channel = openTabChannel(`oidc-session:v1:server:${this.#base}`, (data) => {
      if ((data as { from?: unknown } | null)?.from !== this.#tabId) void this.#check(true, true).catch(() => undefined);
    });
    this.#stopWake = onPageWake(
      () => void this.#check(false).catch(() => undefined),
      () => undefined,
    );
    void this.#check(true).catch(() => undefined);
    if (this.#checkMs) this.#timer = setInterval(() => globalThis.document?.visibilityState !== 'hidden' && this.#background(), this.#checkMs);
  }

  /** A check no user caused: it leaves the idle timeout where it is. */
  #background(): void {
    if (this.state.status === 'authenticated') void this.#check(false, false, true).catch(() => undefined);
  }

  /** Starts the client, or throws where it cannot start (outside a browser). */
  #start(): void {
    this.begin();
    if (!this.#started) throw browserRequired();
  }

  /** Stops listening to other tabs and page events. */
  dispose(): void {
    this.#channel?.close();
    this.#stopWake?.();
    clearInterval(this.#timer);
  }

  /** Sends the browser to the session server's login route, which comes back to `returnTo`. */
  async login(options: LoginOptions = {}): Promise<void> {
    this.#start();
    const here = currentHref();
    const origin = here ? new URL(here).origin : '';
    const returnTo = sameOriginPath(options.returnTo ?? here ?? '/', origin);
    if (returnTo === undefined) throw new ConfigError('returnTo', `must be a path or URL on ${origin}`);
    const query = new URLSearchParams({ ...options.params, returnTo });
    this.#mark('login');
    this.#navigate(`${this.#base}/login?${query}`);
  }

  /**
   * Nothing to redeem here (the server did it); reports a failed login the server sent back as
   * `?auth_error=` (removing it from the address bar), else resolves with the user. Called again on
   * the same page, the same promise.
   * @throws {@link OAuthError} with the server's error code, e.g. `access_denied`: one of the codes a
   *   session server sends (src/errors/auth-error-codes.ts), else `server_error`; never a description.
   */
  handleCallback(url?: string | URL): Promise<LoginResult> {
    return this.#handle(url, true) as Promise<LoginResult>;
  }

  /**
   * The one call for whatever the page was loaded with: a login that came back from the session
   * server (or failed there, as {@link handleCallback}), the return from this tab's own `logout()`,
   * or `none`. Called again on the same page, the same promise.
   */
  handleRedirect(url?: string | URL): Promise<RedirectResult> {
    return this.#handle(url, false);
  }

  #handle(url: string | URL | undefined, login: boolean): Promise<RedirectResult> {
    const here = currentHref();
    const href = url === undefined ? here : String(url);
    const last = this.#handled;
    if (last && (href === last[0] || href === last[1])) return last[2];
    const result = this.#redirect(href, url === undefined, login);
    this.#handled = [href, url === undefined ? currentHref() : href, result];
    return result;
  }

  async #redirect(href: string | undefined, fromPage: boolean, login: boolean): Promise<RedirectResult> {
    this.#start();
    const page = new URL(href as string);
    const error = page.searchParams.get('auth_error');
    const mark = this.#mark();
    if (error !== null) {
      page.searchParams.delete('auth_error');
      if (fromPage) replaceHref(page.href);
      // Any link can carry ?auth_error=: only the server's own codes come through, and no description.
      throw new OAuthError(authErrorCode(error), undefined, 'login');
    }
    if (login || mark === 'login') {
      const user = await this.getUser();
      // The page's own path, normalised: `https://app//evil.test/` is a page here, but `//evil.test/` is another host.
      if (user) return { kind: 'login', user, returnTo: sameOriginPath(page.href, page.origin) ?? '/' };
      if (login) throw new LoginRequiredError('login: no session');
    } else if (mark !== null) {
      // The logout's return: its `state` must not stay where it looks like a login response.
      const result = logoutResult(page, mark);
      if (fromPage && page.searchParams.has('state')) {
        page.searchParams.delete('state');
        replaceHref(page.href);
      }
      return result;
    }
    return { kind: 'none' };
  }

  /**
   * Sets this tab's note of the redirect it is leaving for (`login`, or the logout's `state`), or
   * takes it back.
   */
  #mark(value?: string): string | null {
    // The tab channel's name: sessionStorage is another namespace.
    const key = `oidc-session:v1:server:${this.#base}`;
    try {
      const found = sessionStorage.getItem(key);
      if (value !== undefined) sessionStorage.setItem(key, value);
      else sessionStorage.removeItem(key);
      return found;
    } catch {
      // Blocked storage: the redirect is then reported as `none`, nothing else changes.
      return null;
    }
  }

  /** The signed-in user's ID token claims, or `undefined` when signed out. */
  async getUser(): Promise<User | undefined> {
    this.#start();
    return this.#checking ?? this.#check(true);
  }

  /**
   * An access token from the server's token route (token-mediating mode), cached until it needs renewing.
   * @throws {@link ConfigError} when the server does not hand out tokens; {@link LoginRequiredError}
   *   without a session; {@link NetworkError} when the server cannot be reached.
   */
  async getAccessToken(options: GetAccessTokenOptions = {}): Promise<string> {
    this.#start();
    // A request in flight serves every caller that comes while it runs, forced or not.
    if (!this.#fetching) {
      const token = await this.#token?.catch(() => undefined);
      if (!options.forceRefresh && token && token.expiresAt - this.#leewayMs > this.#now()) return token.accessToken;
      if (!this.#fetching) this.#token = this.#fetchToken(options.forceRefresh === true);
    }
    return (await (this.#token as Promise<{ accessToken: string }>)).accessToken;
  }

  #fetchToken(force: boolean): Promise<{ accessToken: string; expiresAt: number }> {
    this.#fetching = true;
    const request = this.#request(`token${force ? '?forceRefresh=1' : ''}`)
      .then(async (response) => {
        if (response.status === 404) throw new ConfigError('sessionServer', 'its tokenRoute is off');
        return (await this.#json(response)) as { accessToken: string; expiresAt: number };
      })
      .finally(() => (this.#fetching = false));
    // A failed request is not cached: the next call asks again.
    request.catch(() => this.#token === request && (this.#token = undefined));
    return request;
  }

  /**
   * `fetch` for the app's own API calls through the session server's proxy (its `apis` option): the
   * browser never holds a token, the server attaches it. Adds the CSRF header the proxy requires and
   * sends the session cookie (same-origin requests only: `credentials: 'same-origin'`). Returns every
   * response as it is; a 401 also makes this tab ask the server whether its session still stands,
   * so the state turns `anonymous` if it ended. Already bound.
   */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    this.#start();
    const headers = new Headers(init?.headers ?? (input as Request).headers);
    headers.set('x-oidc-session', '1');
    const response = await this.#fetch(input, { ...init, headers, credentials: 'same-origin' });
    if (response.status === 401) void this.#check(true).catch(() => undefined);
    return response;
  };

  /**
   * Ends the session on the server (which revokes the tokens) and goes to the provider's end-session page.
   * @throws {@link ProtocolError} (`insecure_endpoint`) when that page is not an http(s) URL; the session is ended all the same.
   */
  async logout(): Promise<void> {
    this.#start();
    const { redirectTo } = (await this.#json(await this.#request('logout', 'POST'))) as { redirectTo: string };
    this.#logouts++;
    this.#ended(false);
    this.#channel?.postMessage({ from: this.#tabId });
    // The provider's end-session endpoint comes from its metadata: never navigate to `javascript:` or `data:`.
    if (!/^https?:\/\//i.test(redirectTo)) throw new ProtocolError('insecure_endpoint', 'end-session URL not http(s)');
    // The server's end-session request carries a `state`: kept to know this logout's return by it.
    this.#mark(new URL(redirectTo).searchParams.get('state') ?? '');
    this.#navigate(redirectTo);
  }

  /**
   * Asks the server for the session (at most every 2 s unless `force`), and updates the state. A
   * session that appears here (a login landed on this page) is announced to the other tabs, unless
   * one of them told us.
   */
  #check(force: boolean, told = false, background = false): Promise<User | undefined> {
    if (!force && this.#now() - this.#checkedAt < RECHECK_MS) return this.#checking ?? Promise.resolve(undefined);
    this.#checkedAt = this.#now();
    const previous = this.state;
    const logouts = this.#logouts;
    let reason: string | undefined;
    const check = this.#request(background ? 'session?background=1' : 'session')
      .then(async (response) => {
        if (response.status === 401) {
          reason = await response.json().then((body: { reason?: string } | null) => body?.reason, () => undefined);
          return undefined;
        }
        return ((await this.#json(response)) as { user: User; expiresAt: number });
      })
      .then(
        (found) => {
          if (logouts !== this.#logouts) return undefined;
          if (found) {
            this.setState(authenticated(found.user, found.expiresAt));
            if (previous.status !== 'authenticated' && !told) this.#channel?.postMessage({ from: this.#tabId });
            if (previous.status === 'anonymous') this.emit('login', { user: found.user, remote: true });
          } else this.#ended(true, reason);
          return found?.user;
        },
        (error: NetworkError) => {
          // Unknown is not signed out: keep the state, tell the app; the next getUser() asks again.
          if (this.#checking === check) this.#checking = undefined;
          this.emit('warning', { error });
          throw error;
        },
      );
    this.#checking = check;
    return check;
  }

  /**
   * Signed out. Why, as far as this tab knows: the server's reason (it ended the session), `expired`
   * once the session's end has passed, else `user` (a logout here or in another tab).
   */
  #ended(remote: boolean, reason?: string): void {
    const state = this.state;
    this.#token = undefined;
    this.setState(ANONYMOUS);
    if (state.status === 'authenticated') {
      this.emit('logout', { reason: reason === 'provider' || reason === 'ended' ? reason : state.expiresAt <= this.#now() ? 'expired' : 'user', remote });
    }
  }

  #request(route: string, method = 'GET'): Promise<Response> {
    return this.#fetch(`${this.#base}/${route}`, {
      method,
      credentials: 'same-origin',
      headers: { 'x-oidc-session': '1' },
    }).catch(() => Promise.reject(new NetworkError('network_error', 'session server unreachable')));
  }

  async #json(response: Response): Promise<unknown> {
    if (response.status === 401) {
      this.#ended(false);
      throw new LoginRequiredError();
    }
    if (!response.ok) throw new NetworkError('network_error', `session server: ${response.status}`);
    try {
      return await response.json();
    } catch {
      throw new NetworkError('network_error', 'session server: no JSON');
    }
  }
}

/** Checks a seconds option: a number from `min` up (and below a month, so a timer can hold it). */
function checkSeconds(name: string, value: unknown, min: number): void {
  if (!((value as number) >= min && (value as number) < 2e6) || typeof value != 'number') throw new ConfigError(name, `expected seconds (${min} or more)`);
}
