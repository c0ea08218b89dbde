import { redeemCallback } from '../protocol/callback.js';
import { atRedirectUri, checkResponseParams, withoutResponseParams } from '../protocol/callback-url.js';
import { discover, type ProviderMetadata } from '../protocol/discovery.js';
import { ANONYMOUS, LOADING, StateHub, authenticated, type AuthEvents, type AuthState, type StateListener } from './state-hub.js';
import { AuthError, ConfigError, LoginRequiredError, NetworkError, ProtocolError } from '../errors/errors.js';
import { guardStorage, type GuardedStorage } from '../session/guarded-storage.js';
import { createLoginRequest, randomValue } from '../protocol/login.js';
import { endSessionUrl, revokeRefreshToken } from '../protocol/logout.js';
import { checkAuthorizationParams, checkOverrides, resolveOptions, type AuthClientOptions, type Navigate, type ResolvedOptions } from './options.js';
import { assignLocation, currentHref, replaceHref } from '../platform/location.js';
import { withLock } from '../platform/lock.js';
import { onPageWake } from '../platform/page-wake.js';
import { webStorageAdapter } from '../platform/storage.js';
import { refreshSession } from '../protocol/refresh.js';
import { nextAttemptAt } from '../protocol/retry-policy.js';
import { sameOriginPath } from '../protocol/return-to.js';
import { keyPrefix, type KeyPrefix } from '../session/storage-keys.js';
import type { TabMessage } from '../tabs/tab-message.js';
import { tabSync, type TabSync } from '../tabs/tab-sync.js';
import {
  createSessionRecord,
  isFresh,
  isNewer,
  isUsable,
  parseSessionRecord,
  renewalDueAt,
  serializeSessionRecord,
  type SessionRecord,
  type User,
} from '../session/token-set.js';
import { loadSession } from '../session/token-store.js';
import type { MaybePromise } from '../session/maybe-async.js';
import { logoutResult } from '../protocol/logout-return.js';
import { clearTransactions, hasPendingTransaction, saveTransaction, takeTransaction } from '../session/transaction.js';
import { browserRequired } from '../platform/browser.js';
import { isDevelopment } from '../platform/build-mode.js';
import { clientInternals } from './internals.js';

/** Options of {@link AuthClient.login}. */
export interface LoginOptions {
  /** Same-origin path or URL to come back to after login. Default: the current page. */
  returnTo?: string;
  /** Extra authorization parameters for this login only (e.g. `{ prompt: 'login', login_hint: 'ada' }`). */
  params?: Readonly<Record<string, string>>;
  /**
   * The redirect URI for this login only, e.g. a loopback URL with the port a desktop app's listener
   * got (RFC 8252 §7.3). Checked like the option; the callback must then arrive there.
   */
  redirectUri?: string;
  /** Opens the provider's page for this login only, as the `navigate` option does. */
  navigate?: Navigate;
}

/** What {@link AuthClient.handleCallback} resolves to. */
export interface LoginResult {
  readonly kind: 'login';
  readonly user: User;
  /** The validated same-origin path given to `login()`; navigate there. */
  readonly returnTo: string;
}

/**
 * What {@link AuthClient.handleRedirect} resolves to: the login this page completed, the return from
 * this tab's own `logout()`, or `none` for an ordinary page load.
 */
export type RedirectResult = LoginResult | { readonly kind: 'logout' } | { readonly kind: 'none' };

/** Options of {@link AuthClient.logout}. */
export interface LogoutOptions {
  /** Must equal one of the configured `postLogoutRedirectUri` values; anything else falls back to the first. */
  returnTo?: string;
  /**
   * Opens the provider's end-session page for this logout only, as the `navigate` option does; a
   * function that does nothing makes the logout local (tokens cleared, the provider's session kept).
   */
  navigate?: Navigate;
}

/** Options of {@link AuthClient.getAccessToken}. */
export interface GetAccessTokenOptions {
  /** Skip the cached token and use the refresh token now. */
  forceRefresh?: boolean;
}

// How long a new tab waits for an open sibling to hand over the live session, and how long a tab that
// found its copy stale waits for the newer one. Live tabs answer in milliseconds.
const ADOPT_ON_START_MS = 300;
const ADOPT_ON_REFRESH_MS = 2000;
const RETRY_MS = 30_000;
// How long a page that arrived with a login callback waits for the app to handle it before it warns
// and reports the session it has.
const UNHANDLED_CALLBACK_MS = 3000;
const ignore = () => undefined;
/**
 * The last redirect a page handled: the URL it was handled at, the URL it left in the address bar,
 * whether it was a login callback, and the promise every later call for it gets.
 */
type Handled = [from: string | undefined, to: string | undefined, login: boolean, result: Promise<RedirectResult>];
/** A login response (RFC 6749 §4.1.2): `state` with a `code` or an `error`. */
const isCallback = (url: URL) => url.searchParams.has('state') && (url.searchParams.has('code') || url.searchParams.has('error'));

/**
 * Manages one user session against one OpenID Connect provider: authorization code flow with PKCE by
 * redirect, tokens in the storage you choose, single-flight refresh, state snapshots and events.
 *
 * The constructor only validates options; storage is read on first use (`state`, `subscribe` or any
 * method), so importing and constructing are safe during server-side rendering.
 */
export class AuthClient extends StateHub {
  readonly #options: ResolvedOptions;
  readonly #keys: KeyPrefix;
  readonly #sessionStorage: GuardedStorage;
  readonly #transactionStorage: GuardedStorage;
  #record: SessionRecord | undefined;
  /** Settles once the session has been restored, after any wait for a sibling tab to hand it over. */
  #restoring: Promise<void> | undefined;
  /** Settles once storage has been read, before that wait: what a sibling's answer must wait for. */
  #loaded: Promise<unknown> | undefined;
  #started = false;
  /** While the page's own callback is pending: the restore waits on it, so the state stays `loading`. */
  #callbackPending: Promise<void> | undefined;
  #settleCallback: () => void = ignore;
  /** The last redirect handled on this page, from its URL and the URL it left: called again, the same promise. */
  #handled: Handled | undefined;
  #metadata: Promise<ProviderMetadata> | undefined;
  #refreshing: Promise<SessionRecord> | undefined;
  /** The other tabs of this app: messages, the beacon, hand-overs. */
  readonly #tabs: TabSync;
  #stopWake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;
  /** Refresh back-off after the provider was unreachable: consecutive failures, and no retry before this instant. */
  #failures = 0;
  #retryAt = 0;

  /** @throws {@link ConfigError} naming the first invalid option. */
  constructor(options: AuthClientOptions) {
    super();
    this.#options = resolveOptions(options);
    this.#keys = keyPrefix(this.#options.clientId);
    const adapter = this.#options.storage ?? webStorageAdapter();
    this.#sessionStorage = guardStorage(adapter);
    this.#transactionStorage = adapter.pendingLoginsInSessionStorage ? guardStorage(webStorageAdapter()) : this.#sessionStorage;
    this.#tabs = tabSync(
      `oidc-session:v1:${this.#options.issuer.href}:${this.#options.clientId}`,
      this.#keys + 'beacon',
      adapter.perTab === true,
      this.#options.shareSessionAcrossTabs,
      (message) => this.#receive(message).catch(ignore),
      () => this.#record,
      // An arrow property: bound already.
      this.subscribe,
    );
    clientInternals.set(this, { options_: this.#options, discover_: () => this.#discover(), record_: () => this.#record });
  }

  /**
   * Stops listening to other tabs and page events and cancels the renewal timer. Call it when the app
   * no longer needs the client (tests, micro-frontends); the client keeps working in this tab alone.
   */
  dispose(): void {
    this.#disposed = true;
    this.#tabs.close_();
    this.#stopWake?.();
    clearTimeout(this.#timer);
  }

  /**
   * Starts a login: builds the authorization request, saves its one-time transaction, and opens the
   * provider's page (`navigate`). After a full-page redirect the promise settles when navigation
   * starts, with `undefined`; when `navigate` resolves with the callback URL (a popup, an extension's
   * auth flow, a loopback listener), it completes the login and resolves as {@link handleCallback}.
   * @throws {@link ConfigError} for a `returnTo` outside the app's origin, reserved `params` or a bad
   *   `redirectUri`; what {@link handleCallback} throws when `navigate` brought the callback back.
   */
  async login(options: LoginOptions = {}): Promise<LoginResult | undefined> {
    this.#start();
    const returnTo = this.#loginReturnTo(options.returnTo);
    const params = checkAuthorizationParams('params', options.params ?? {});
    const redirectUri = checkOverrides(options);
    const metadata = await this.#discover();
    const request = await createLoginRequest(this.#options, metadata, { returnTo, params, redirectUri });
    await Promise.all([saveTransaction(this.#transactionStorage, this.#keys, request.transaction), this.#transactionStorage.remove(this.#keys + 'logout')]);
    let callback: Awaited<ReturnType<Navigate>>;
    try {
      callback = await this.#navigate(request.url, options.navigate);
    } catch (error) {
      // A window that never brought a callback back (closed, timed out, aborted) leaves no pending login.
      await this.#transactionStorage.remove(this.#keys + 'txn:' + request.transaction.state);
      throw error;
    }
    return callback ? this.handleCallback(callback) : undefined;
  }

  /**
   * Completes a login on the redirect page. Removes the response parameters from the address bar
   * first, whatever the outcome, then validates the response, redeems the code and stores the session.
   * A callback that matches no pending login (forged, replayed, reloaded) is refused and leaves any
   * live session untouched. Called again for the same callback on this page (React StrictMode runs
   * effects twice), it returns the same promise. Prefer {@link handleRedirect}, which also knows a
   * logout return and an ordinary page.
   * @param url The callback URL; default `location.href`.
   * @throws {@link OAuthError} when the provider reports an error (e.g. `access_denied`);
   *   {@link ProtocolError} for a missing, replayed or foreign transaction or an invalid response.
   */
  handleCallback(url?: string | URL): Promise<LoginResult> {
    return this.#handle(url, true) as Promise<LoginResult>;
  }

  /**
   * The one call for whatever the page was loaded with: completes a login callback (as
   * {@link handleCallback}), recognises the return from this tab's own `logout()`, or reports `none`.
   * Call it once when the app starts, before anything awaits the session: while a callback is pending
   * the state stays `loading`. Called again on the same page, it returns the same promise.
   * @param url The page URL; default `location.href`.
   * @throws what {@link handleCallback} throws, for a login callback.
   */
  handleRedirect(url?: string | URL): Promise<RedirectResult> {
    return this.#handle(url, false);
  }

  #handle(url: string | URL | undefined, login: boolean): Promise<RedirectResult> {
    const href = url === undefined ? currentHref() : String(url);
    const last = this.#handled;
    if (last && (last[2] || !login) && last.includes(href)) return last[3];
    const here = currentHref();
    // Known before the client starts: a deep link (a native app's cold start) holds the state at
    // `loading` while it is redeemed, as the page's own callback does.
    const entry: Handled = (this.#handled = [href, href, login, undefined as unknown as Promise<RedirectResult>]);
    entry[3] = this.#redirect(href, href === here, entry);
    // Read after the synchronous part ran: the address bar no longer holds the response.
    if (href === here) entry[1] = currentHref();
    return entry[3];
  }

  async #redirect(href: string | undefined, fromPage: boolean, entry: Handled): Promise<RedirectResult> {
    this.#start();
    let callback: URL;
    try {
      callback = new URL(href as string);
    } catch {
      throw new ProtocolError('invalid_callback', 'login: the callback is not a URL');
    }
    if (!entry[2] && !isCallback(callback)) {
      // A deep link (not the page's own URL) is a logout return only at a post-logout redirect URI.
      const sent =
        fromPage || this.#options.postLogoutRedirectUris_.some((uri) => atRedirectUri(callback, uri))
          ? await this.#transactionStorage.get(this.#keys + 'logout')
          : undefined;
      if (sent === undefined) return { kind: 'none' };
      await this.#transactionStorage.remove(this.#keys + 'logout');
      // Our logout's return: its `state` must not stay where it looks like a login response.
      if (fromPage) replaceHref((entry[1] = withoutResponseParams(callback)));
      return logoutResult(callback, sent);
    }
    entry[2] = true;
    // Codes and state must not linger in history or be re-submitted by a reload.
    const clean = withoutResponseParams(callback);
    if (fromPage && clean !== href) replaceHref(clean);
    try {
      return await this.#redeem(callback);
    } finally {
      this.#settleCallback();
    }
  }

  async #redeem(callback: URL): Promise<LoginResult> {
    // No need to wait for the restore (or for siblings to hand over a session): it never overwrites
    // a state this callback has set.
    checkResponseParams(callback.searchParams);
    const state = callback.searchParams.get('state');
    if (!state) throw new ProtocolError('state_missing', 'login: no "state"');
    const now = this.#options.now();
    // A deep link at another path or scheme is not this login's answer (RFC 8252 §7.1), and costs it nothing.
    const transaction = await takeTransaction(this.#transactionStorage, this.#keys, state, now, (t) => atRedirectUri(callback, t.redirectUri));
    if (transaction === 'elsewhere') throw new ProtocolError('invalid_callback', 'login: not the redirect URI');
    if (transaction === 'expired') throw new ProtocolError('transaction_expired', 'login: expired, start again');
    if (transaction === undefined) {
      const pending = await hasPendingTransaction(this.#transactionStorage, this.#keys);
      throw new ProtocolError(
        pending ? 'state_mismatch' : 'transaction_not_found',
        pending ? 'login: unknown "state"' : 'login: none pending',
      );
    }
    const metadata = await this.#discover();
    if (transaction.issuer !== metadata.issuer) {
      throw new ProtocolError('issuer_mismatch', 'login: another issuer');
    }
    const grant = await redeemCallback(this.#options, metadata, transaction, callback);
    const record = createSessionRecord(grant, {
      issuer: this.#options.issuer.href,
      clientId: this.#options.clientId,
      now: this.#options.now(),
      sid: randomValue(),
    });
    await this.#persist(record);
    // Not awaited: no other tab holds a copy of this new session yet, so none can be behind it.
    void this.#tabs.mark_(record, 0);
    this.#commit(record);
    this.#tabs.announce_(record);
    this.emit('login', { user: record.claims, remote: false });
    return { kind: 'login', user: record.claims, returnTo: sameOriginPath(transaction.returnTo, this.#options.appOrigin) ?? '/' };
  }

  /** The signed-in user's ID token claims, or `undefined` when signed out. */
  async getUser(): Promise<User | undefined> {
    await this.#ready();
    return this.#record?.claims;
  }

  /**
   * An access token: the cached one while fresh, otherwise a new one from the refresh token.
   * Concurrent calls share one refresh.
   * @throws {@link LoginRequiredError} when there is no session or the provider ended it
   *   (`invalid_grant`, after which the session is cleared and `logout` is emitted with reason `expired`);
   *   {@link NetworkError} when the provider cannot be reached (the session is kept).
   */
  async getAccessToken(options: GetAccessTokenOptions = {}): Promise<string> {
    const record = this.#record;
    if (record !== undefined && options.forceRefresh !== true && this.#fresh(record)) {
      return record.accessToken;
    }
    await this.#ready();
    const current = this.#record;
    if (current === undefined) throw new LoginRequiredError();
    if (options.forceRefresh !== true && this.#fresh(current)) return current.accessToken;
    return (await this.#refresh(current)).accessToken;
  }

  /**
   * Ends the session: clears every stored trace of it locally first (tokens and pending logins), then
   * revokes the refresh token in the background and navigates to the provider's end-session endpoint,
   * or straight to `postLogoutRedirectUri` when the provider has none.
   */
  async logout(options: LogoutOptions = {}): Promise<void> {
    checkOverrides(options);
    await this.#ready();
    const record = this.#record;
    const target = this.#postLogoutTarget(options.returnTo);
    const state = randomValue();
    const cleared = await Promise.allSettled([
      this.#end('user', false),
      clearTransactions(this.#transactionStorage, this.#keys).then(() => this.#transactionStorage.set(this.#keys + 'logout', state)),
    ]);
    // Leaving must not depend on the provider: without metadata we still go to the post-logout page.
    const metadata = await this.#discover().catch(() => undefined);
    if (metadata && record?.refreshToken) void revokeRefreshToken(this.#options, metadata, record.refreshToken);
    await this.#navigate(endSessionUrl(this.#options, metadata, target, record?.idToken, state), options.navigate);
    const failure = cleared.find((result) => result.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }

  protected begin(): void {
    // On the server there is nothing to restore: the state stays `loading` for the browser to settle.
    // Outside a browser the client runs only with storage that keeps pending logins itself (a desktop
    // app's); the SDK's own adapters keep them in sessionStorage, so they need a browser too.
    if (this.#started || (typeof document === 'undefined' && (this.#options.storage?.pendingLoginsInSessionStorage ?? !this.#options.storage))) return;
    this.#started = true;
    // The page's URL, or a URL handed to handleRedirect() before anything else.
    const here = this.#handled?.[0] ?? currentHref();
    if (here && isCallback(new URL(here))) {
      this.#callbackPending = new Promise((resolve) => {
        this.#settleCallback = () => resolve((this.#callbackPending = undefined));
      });
      // Unless the app has started handling it by then.
      setTimeout(() => void (this.#handled?.[2] || this.#warnUnhandled()), UNHANDLED_CALLBACK_MS);
    }
    // Not after dispose(), which also removes these page listeners.
    if (!this.#disposed) {
      this.#tabs.connect_();
      this.#stopWake = onPageWake(
        () => {
          this.#tabs.connect_();
          void this.#revalidate().catch(ignore);
        },
        () => this.#tabs.close_(),
      );
    }
    // Unreadable storage means no session here, and a warning for the app, sent a moment later so
    // that listeners added right after the first subscribe() or state read still hear it.
    const failed = (error: unknown) => {
      queueMicrotask(() => this.emit('warning', { error: error as AuthError }));
      return this.#restore(undefined);
    };
    try {
      const loaded = this.#load();
      this.#restoring = loaded instanceof Promise ? loaded.then((r) => this.#restore(r), failed) : this.#restore(loaded);
      // Settles just after #restore has run (its reaction was registered first), not after the wait
      // for a sibling that #restore may start.
      this.#loaded = Promise.resolve(loaded).catch(ignore);
    } catch (error) {
      this.#restoring = failed(error);
    }
  }

  #restore(record: SessionRecord | undefined): Promise<void> | undefined {
    // A login or logout that finished while storage was being read wins.
    if (this.state !== LOADING) return undefined;
    // The page holds a login response: report nothing before it is handled.
    if (this.#callbackPending) return this.#callbackPending.then(() => this.#restore(record));
    if (record && !isUsable(record, this.#options.now(), this.#options.leewaySeconds)) {
      void this.#clear().catch(ignore);
      record = undefined;
    }
    if (record || !this.#tabs.sharing_) {
      this.#commit(record);
      // This copy may be behind the other tabs' (a duplicated tab, a tab that slept): check quietly.
      void this.#revalidate().catch(ignore);
      return undefined;
    }
    // Nothing here, but an open sibling may hold the live session: ask before saying "anonymous".
    return this.#tabs.catchUp_(record, ADOPT_ON_START_MS).then((caught) => {
      if (this.state === LOADING) this.#commit(typeof caught === 'object' ? caught : undefined);
    });
  }

  /**
   * Saves the session. When storage refuses (blocked, full, IndexedDB gone) the session lives on in
   * this page's memory, the app gets a `warning`, and any older stored copy is removed so that a
   * reload can never replay a refresh token this write rotated.
   */
  async #persist(record: SessionRecord): Promise<void> {
    try {
      await this.#sessionStorage.set(this.#keys + 'session', serializeSessionRecord(record));
    } catch (error) {
      await this.#clear().catch(ignore);
      this.emit('warning', { error: error as AuthError });
    }
  }

  #load(): MaybePromise<SessionRecord | undefined> {
    return loadSession(this.#sessionStorage, this.#keys + 'session', { issuer: this.#options.issuer.href, clientId: this.#options.clientId });
  }

  #clear(): Promise<void> {
    return this.#sessionStorage.remove(this.#keys + 'session');
  }

  #fresh(record: SessionRecord): boolean {
    return isFresh(record, this.#options.now(), this.#options.leewaySeconds);
  }

  /** The page arrived with the response to a pending login, and no one handled it: say so. */
  async #warnUnhandled(): Promise<void> {
    if (await hasPendingTransaction(this.#transactionStorage, this.#keys).catch(ignore)) {
      const error = new AuthError('callback_unhandled', 'login: callback not handled; call handleRedirect() at app start');
      if (isDevelopment()) console.warn('oidc-session: ' + error.message);
      this.emit('warning', { error });
    }
    this.#settleCallback();
  }

  /** Starts the client, or throws where it cannot start (outside a browser). */
  #start(): void {
    this.begin();
    if (!this.#started) throw browserRequired();
  }

  #ready(): Promise<void> {
    this.#start();
    return this.#restoring ?? Promise.resolve();
  }

  #commit(record: SessionRecord | undefined): void {
    this.#record = record;
    this.#schedule(record);
    this.setState(record ? authenticated(record.claims, record.expiresAt) : ANONYMOUS);
  }

  /**
   * With `autoRefresh`, arms the timer that renews the access token when it falls due: at least 1 s
   * ahead (no busy loop), at most a day (lifetimes are bounded at a day, within setTimeout's range);
   * a token already overdue (the provider was unreachable) is retried every 30 s, and sooner on
   * `online` or when the page wakes.
   */
  #schedule(record: SessionRecord | undefined): void {
    clearTimeout(this.#timer);
    if (!record || !this.#options.autoRefresh || this.#disposed) return;
    const wait = renewalDueAt(record, this.#options.leewaySeconds) - this.#options.now();
    this.#timer = setTimeout(
      () => void this.getAccessToken().catch(ignore).finally(() => this.#record === record && this.#schedule(record)),
      wait > 0 ? Math.max(wait, 1000) : RETRY_MS,
    );
  }

  /** What another tab said, applied to this tab's session. */
  async #receive(message: TabMessage): Promise<void> {
    if (this.#disposed) return;
    // Not #ready(): a new tab's restore may be waiting for this very message (the sibling's session).
    this.begin();
    await this.#loaded;
    const tabs = this.#tabs;
    if (!tabs.perTab_) {
      // The shared store is the truth: whatever happened, read it again.
      if (message.type === 'changed' || message.type === 'logout') await this.#reloadShared(message.type === 'logout' ? message.reason : 'user');
      return;
    }
    const record = this.#record;
    if (message.type === 'logout') {
      // A user's logout ends every tab's session; an expiry only the shared one.
      if (record && record.loginAt <= message.at && (message.reason === 'user' || tabs.sharing_)) await this.#end(message.reason, true);
    } else if (!tabs.sharing_) {
      return;
    } else if (message.type === 'hello') {
      if (record) tabs.post_({ type: 'session', record: serializeSessionRecord(record) });
    } else if (message.type === 'session') {
      const incoming = parseSessionRecord(message.record, { issuer: this.#options.issuer.href, clientId: this.#options.clientId });
      if (incoming && isNewer(incoming, this.#record) && isUsable(incoming, this.#options.now(), this.#options.leewaySeconds)) {
        await this.#persist(incoming);
        this.#adopt(incoming);
      }
    }
  }

  /** Takes a session that another tab created or renewed. */
  #adopt(record: SessionRecord | undefined, reason: 'user' | 'expired' = 'user'): void {
    const previous = this.#record;
    this.#commit(record);
    if (record && record.sid !== previous?.sid) this.emit('login', { user: record.claims, remote: true });
    if (!record && previous) this.emit('logout', { reason, remote: true });
  }

  async #reloadShared(reason: 'user' | 'expired'): Promise<void> {
    const stored = await this.#load();
    if (stored?.accessToken !== this.#record?.accessToken) this.#adopt(stored, reason);
  }

  /**
   * Checks this tab's session against the others' after the page may have missed something (start,
   * wake-up, focus), then renews a stale access token so it is ready before the app asks.
   */
  async #revalidate(): Promise<void> {
    await this.#ready();
    const tabs = this.#tabs;
    if (tabs.perTab_) {
      // Not waiting for a sibling's answer (0 ms): its message brings the newer session in.
      if ((await tabs.catchUp_(this.#record, 0)) === 'ended' && this.#record) await this.#end('user', true);
    } else {
      await this.#reloadShared('user');
    }
    const record = this.#record;
    if (record?.refreshToken && !this.#fresh(record)) void this.getAccessToken().catch(ignore);
  }

  /**
   * One refresh at a time in this tab. After a failure that did not end the session (429, 5xx,
   * network, timeout, or an answer we refused), further attempts wait 4, 8, 16, 32 then 60 s, or as
   * long as Retry-After asks (at most an hour), and fail fast in between with a NetworkError whose
   * `retryAt` says when the next attempt is allowed.
   */
  #refresh(current: SessionRecord): Promise<SessionRecord> {
    if (this.#options.now() < this.#retryAt) {
      return Promise.reject(new NetworkError('network_error', 'backing off', this.#retryAt));
    }
    this.#refreshing ??= this.#runRefresh(current)
      .then(
        (record) => {
          this.#failures = 0;
          return record;
        },
        (error: unknown) => {
          // Every failure but the end of the session backs off (src/protocol/retry-policy.ts), Retry-After honoured:
          // a provider that keeps refusing is not asked again on every call either.
          if ((error as AuthError).code === 'login_required') throw error;
          const now = this.#options.now();
          const isNetwork = error instanceof NetworkError;
          this.#retryAt = nextAttemptAt(now, ++this.#failures, isNetwork ? (error.retryAt ?? now) - now : 0);
          throw isNetwork ? new NetworkError(error.code, error.message, this.#retryAt) : error;
        },
      )
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /**
   * One refresh across all tabs: under the cross-tab lock, first make sure no other tab already
   * renewed (or ended) the session, and only then spend the refresh token.
   */
  #runRefresh(current: SessionRecord): Promise<SessionRecord> {
    let handOver!: (record: SessionRecord) => void;
    const renewed = new Promise<SessionRecord>((resolve) => (handOver = resolve));
    const locked = withLock(this.#keys + 'refresh', this.#options.requestTimeoutMs_ * 2, async () => {
      const stored = await this.#load();
      if (stored === undefined) {
        await this.#end('expired', true).catch(ignore);
        throw new LoginRequiredError('signed out in another tab');
      }
      if (stored.accessToken !== current.accessToken && this.#fresh(stored)) {
        this.#adopt(stored);
        return stored;
      }
      const tabs = this.#tabs;
      const caught = await tabs.catchUp_(stored, ADOPT_ON_REFRESH_MS, true);
      if (caught === 'ended') {
        await this.#end('user', true).catch(ignore);
        throw new LoginRequiredError('signed out in another tab');
      }
      if (caught === 'stale') {
        // Another tab already spent this refresh token, and none handed the newer copy over: using it
        // again would look like theft to the provider.
        await this.#end('expired', true).catch(ignore);
        throw new LoginRequiredError('renewed in a tab that is gone');
      }
      if (caught !== 'current') return caught;
      const metadata = await this.#discover();
      let next: SessionRecord;
      try {
        next = await refreshSession(this.#options, metadata, stored);
      } catch (error) {
        if (error instanceof LoginRequiredError) await this.#end('expired', false).catch(ignore);
        throw error;
      }
      await this.#persist(next);
      this.#commit(next);
      tabs.announce_(next);
      this.emit('refresh', { expiresAt: next.expiresAt });
      // The callers can go on; the lock is held until the beacon is written, so that a tab that takes
      // it next sees this refresh.
      handOver(next);
      await tabs.mark_(next, 0);
      return next;
    });
    return Promise.race([renewed, locked]);
  }

  /**
   * Ends the session in this tab. Unless the news came from another tab (`remote`), tells the others:
   * a user's logout ends every tab's session, an expiry ends the shared one.
   */
  async #end(reason: 'user' | 'expired', remote: boolean): Promise<void> {
    const previous = this.#record;
    const at = this.#options.now();
    try {
      // A DPoP key bound to this session goes with it.
      await Promise.all([this.#clear(), previous && this.#options.dpop?.end_(previous)]);
    } finally {
      this.#commit(undefined);
      const tabs = this.#tabs;
      if (!remote && (reason === 'user' || !tabs.perTab_ || tabs.sharing_)) {
        if (reason === 'user' || tabs.sharing_) await tabs.mark_(previous, at);
        tabs.post_({ type: 'logout', reason, at });
      }
      if (previous) this.emit('logout', { reason, remote });
    }
  }

  #discover(): Promise<ProviderMetadata> {
    // Cached for the client's life once it succeeds; a failure is retried on the next call.
    return (this.#metadata ??= discover(this.#options, this.#sessionStorage, this.#keys + 'discovery').catch((error: AuthError) => {
      this.#metadata = undefined;
      throw error;
    }));
  }

  #navigate(url: string, open: Navigate = this.#options.navigate ?? assignLocation): ReturnType<Navigate> {
    return open(url);
  }

  #loginReturnTo(returnTo: string | undefined): string {
    const origin = this.#options.appOrigin;
    if (returnTo !== undefined) {
      const path = sameOriginPath(returnTo, origin);
      if (path === undefined) throw new ConfigError('returnTo', 'must be a path or URL on ' + origin);
      return path;
    }
    return sameOriginPath(currentHref(), origin) ?? '/';
  }

  #postLogoutTarget(returnTo: string | undefined): string {
    const allowed = this.#options.postLogoutRedirectUris_;
    try {
      const href = new URL(returnTo as string, this.#options.appOrigin).href;
      if (returnTo !== undefined && allowed.includes(href)) return href;
    } catch {
      // Not a URL: the first allowed one, as for any other value.
    }
    return allowed[0] as string;
  }
}
