import { redeemCallback } from './callback.js';
import { isCallbackUrl, withoutResponseParams } from './callback-url.js';
import { discover, type ProviderMetadata } from './discovery.js';
import { callSafely, Emitter } from './emitter.js';
import { AuthError, ConfigError, LoginRequiredError, ProtocolError } from './errors.js';
import { GuardedStorage } from './guarded-storage.js';
import { createLoginRequest } from './login.js';
import { endSessionUrl, revokeRefreshToken } from './logout.js';
import { checkAuthorizationParams, resolveOptions, type AuthClientOptions, type ResolvedOptions } from './options.js';
import { indexedDbAdapter } from './platform/indexeddb.js';
import { assignLocation, currentHref, replaceHref } from './platform/location.js';
import { withLock } from './platform/lock.js';
import { memoryStorageAdapter, sessionStorageAdapter, type StorageAdapter } from './platform/storage.js';
import { refreshSession } from './refresh.js';
import { sameOriginPath } from './return-to.js';
import { storageKeys, type StorageKeys } from './storage-keys.js';
import { createSessionRecord, isFresh, isUsable, type SessionRecord, type User } from './token-set.js';
import { TokenStore } from './token-store.js';
import { clearTransactions, hasPendingTransaction, saveTransaction, takeTransaction } from './transaction.js';

/** The session as the UI sees it. A new object on every change, the same object while nothing changes. */
export type AuthState =
  | { readonly status: 'loading' }
  | { readonly status: 'anonymous' }
  | { readonly status: 'authenticated'; readonly user: User; readonly expiresAt: number };

/** Called with the new and the previous state. */
export type StateListener = (state: AuthState, previous: AuthState) => void;

/** Payloads of the discrete events. */
export interface AuthEvents {
  /** A login completed in this tab. */
  login: { readonly user: User };
  /** New tokens were obtained with the refresh token. */
  refresh: { readonly expiresAt: number };
  /** The session ended: `user` by `logout()`, `expired` when the provider refused to renew it. */
  logout: { readonly reason: 'user' | 'expired' };
}

/** Options of {@link AuthClient.login}. */
export interface LoginOptions {
  /** Same-origin path or URL to come back to after login. Default: the current page. */
  returnTo?: string;
  /** Extra authorization parameters for this login only (e.g. `{ prompt: 'login', login_hint: 'ada' }`). */
  params?: Readonly<Record<string, string>>;
}

/** What {@link AuthClient.handleCallback} resolves to. */
export interface LoginResult {
  readonly user: User;
  /** The validated same-origin path given to `login()`; navigate there. */
  readonly returnTo: string;
}

/** Options of {@link AuthClient.logout}. */
export interface LogoutOptions {
  /** Must equal one of the configured `postLogoutRedirectUri` values; anything else falls back to the first. */
  returnTo?: string;
}

/** Options of {@link AuthClient.getAccessToken}. */
export interface GetAccessTokenOptions {
  /** Skip the cached token and use the refresh token now. */
  forceRefresh?: boolean;
}

const LOADING: AuthState = Object.freeze({ status: 'loading' });
const ANONYMOUS: AuthState = Object.freeze({ status: 'anonymous' });

/**
 * Manages one user session against one OpenID Connect provider: authorization code flow with PKCE by
 * redirect, tokens in the storage you choose, single-flight refresh, state snapshots and events.
 *
 * The constructor only validates options; storage is read on first use (`state`, `subscribe` or any
 * method), so importing and constructing are safe during server-side rendering.
 */
export class AuthClient {
  readonly #options: ResolvedOptions;
  readonly #keys: StorageKeys;
  readonly #tokens: TokenStore;
  readonly #sessionStorage: GuardedStorage;
  readonly #transactionStorage: GuardedStorage;
  readonly #events = new Emitter<AuthEvents>();
  readonly #listeners = new Set<StateListener>();
  #state: AuthState = LOADING;
  #record: SessionRecord | undefined;
  #restoring: Promise<void> | undefined;
  #started = false;
  #metadata: Promise<ProviderMetadata> | undefined;
  #refreshing: Promise<SessionRecord> | undefined;

  /** @throws {@link ConfigError} naming the first invalid option. */
  constructor(options: AuthClientOptions) {
    this.#options = resolveOptions(options);
    this.#keys = storageKeys(this.#options.clientId);
    const adapter = sessionAdapter(this.#options.storage);
    this.#sessionStorage = new GuardedStorage(adapter);
    // A login must survive the redirect, so built-in modes keep the (short-lived, single-use)
    // transaction in sessionStorage even when tokens stay in memory; a custom adapter keeps both.
    this.#transactionStorage =
      typeof this.#options.storage === 'object' ? this.#sessionStorage : new GuardedStorage(sessionStorageAdapter());
    this.#tokens = new TokenStore(this.#sessionStorage, this.#keys.session, {
      issuer: this.#options.issuer.href,
      clientId: this.#options.clientId,
    });
  }

  /** The current state. Reading it the first time restores the session from storage. */
  get state(): AuthState {
    this.#start();
    return this.#state;
  }

  /**
   * Calls `listener` now and after every state change; returns the unsubscribe function. Bound, so it
   * can be passed as is to React's `useSyncExternalStore` or used as a Svelte store's `subscribe`.
   */
  readonly subscribe = (listener: StateListener): (() => void) => {
    checkListener(listener);
    this.#start();
    this.#listeners.add(listener);
    callSafely(listener, this.#state, this.#state);
    return () => void this.#listeners.delete(listener);
  };

  /** Listens to one kind of event; returns the function that removes the listener. */
  on<K extends keyof AuthEvents>(type: K, listener: (event: AuthEvents[K]) => void): () => void {
    checkListener(listener);
    return this.#events.on(type, listener);
  }

  /**
   * Starts a login: builds the authorization request, saves its one-time transaction, and navigates
   * to the provider. The returned promise settles when navigation starts.
   * @throws {@link ConfigError} for a `returnTo` outside the app's origin or reserved `params`.
   */
  async login(options: LoginOptions = {}): Promise<void> {
    this.#start();
    const returnTo = this.#loginReturnTo(options.returnTo);
    const params = checkAuthorizationParams('params', options.params ?? {});
    const metadata = await this.#discover();
    const request = await createLoginRequest(this.#options, metadata, { returnTo, params });
    await saveTransaction(this.#transactionStorage, this.#keys, request.transaction);
    this.#navigate(request.url);
  }

  /**
   * Completes a login on the redirect page. Removes the response parameters from the address bar
   * first, whatever the outcome, then validates the response, redeems the code and stores the session.
   * A callback that matches no pending login (forged, replayed, reloaded) is refused and leaves any
   * live session untouched.
   * @param url The callback URL; default `location.href`.
   * @throws {@link OAuthError} when the provider reports an error (e.g. `access_denied`);
   *   {@link ProtocolError} for a missing, replayed or foreign transaction or an invalid response.
   */
  async handleCallback(url?: string | URL): Promise<LoginResult> {
    this.#start();
    const here = currentHref();
    const href = url === undefined ? here : String(url);
    if (href === undefined) throw new ConfigError('url', 'no URL given and no location to read');
    let callback: URL;
    try {
      callback = new URL(href);
    } catch {
      throw new ProtocolError('invalid_callback', 'login: the callback is not a URL');
    }
    // Codes and state must not linger in history or be re-submitted by a reload.
    if (href === here && (isCallbackUrl(callback) || callback.hash)) replaceHref(withoutResponseParams(callback));
    // A stored session still being read must not overwrite the one this callback creates.
    await this.#ready();

    const state = callback.searchParams.get('state');
    if (!state) throw new ProtocolError('state_missing', 'login: the callback has no "state" parameter');
    const now = this.#options.now();
    const transaction = await takeTransaction(this.#transactionStorage, this.#keys, state, now);
    if (transaction === 'expired') throw new ProtocolError('transaction_expired', 'login: the login took too long, start again');
    if (transaction === undefined) {
      const pending = await hasPendingTransaction(this.#transactionStorage, this.#keys);
      throw new ProtocolError(
        pending ? 'state_mismatch' : 'transaction_not_found',
        pending ? 'login: the callback "state" matches no pending login' : 'login: no login is pending for this callback',
      );
    }
    const metadata = await this.#discover();
    if (transaction.issuer !== metadata.issuer) {
      throw new ProtocolError('issuer_mismatch', 'login: started with another issuer');
    }
    const grant = await redeemCallback(this.#options, metadata, transaction, callback);
    const record = createSessionRecord(grant, {
      issuer: this.#options.issuer.href,
      clientId: this.#options.clientId,
      now: this.#options.now(),
    });
    await this.#tokens.save(record);
    this.#commit(record);
    this.#events.emit('login', { user: record.claims });
    return { user: record.claims, returnTo: sameOriginPath(transaction.returnTo, this.#options.appOrigin) ?? '/' };
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
    if (record !== undefined && options.forceRefresh !== true && isFresh(record, this.#options.now(), this.#options.leewaySeconds)) {
      return record.accessToken;
    }
    await this.#ready();
    const current = this.#record;
    if (current === undefined) throw new LoginRequiredError();
    if (options.forceRefresh !== true && isFresh(current, this.#options.now(), this.#options.leewaySeconds)) return current.accessToken;
    return (await this.#refresh(current)).accessToken;
  }

  /**
   * Ends the session: clears every stored trace of it locally first (tokens and pending logins), then
   * revokes the refresh token in the background and navigates to the provider's end-session endpoint,
   * or straight to `postLogoutRedirectUri` when the provider has none.
   */
  async logout(options: LogoutOptions = {}): Promise<void> {
    await this.#ready();
    const record = this.#record;
    const target = this.#postLogoutTarget(options.returnTo);
    const cleared = await Promise.allSettled([this.#tokens.clear(), clearTransactions(this.#transactionStorage, this.#keys)]);
    this.#commit(undefined);
    if (record) this.#events.emit('logout', { reason: 'user' });
    // Leaving must not depend on the provider: without metadata we still go to the post-logout page.
    const metadata = await this.#discover().catch(() => undefined);
    if (metadata && record?.refreshToken) void revokeRefreshToken(this.#options, metadata, record.refreshToken);
    this.#navigate(endSessionUrl(this.#options, metadata, target, record?.idToken));
    const failure = cleared.find((result) => result.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const restored = (record: SessionRecord | undefined) => {
      // A login or logout that finished while storage was being read wins.
      if (this.#state !== LOADING) return;
      if (record && !isUsable(record, this.#options.now(), this.#options.leewaySeconds)) {
        void this.#tokens.clear().catch(() => undefined);
        record = undefined;
      }
      this.#commit(record);
    };
    // Unreadable storage means no session; the next write reports the problem with a typed error.
    const failed = () => restored(undefined);
    try {
      const loaded = this.#tokens.load();
      if (loaded instanceof Promise) this.#restoring = loaded.then(restored, failed);
      else restored(loaded);
    } catch {
      failed();
    }
  }

  #ready(): Promise<void> {
    this.#start();
    return this.#restoring ?? Promise.resolve();
  }

  #commit(record: SessionRecord | undefined): void {
    this.#record = record;
    const previous = this.#state;
    const next: AuthState = record
      ? Object.freeze({ status: 'authenticated', user: record.claims, expiresAt: record.expiresAt })
      : ANONYMOUS;
    if (next === previous) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) callSafely(listener, next, previous);
  }

  #refresh(current: SessionRecord): Promise<SessionRecord> {
    this.#refreshing ??= this.#runRefresh(current).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #runRefresh(current: SessionRecord): Promise<SessionRecord> {
    const lockName = `${this.#keys.prefix}refresh`;
    const lockTimeoutMs = this.#options.requestTimeoutMs * 2;
    return withLock(lockName, lockTimeoutMs, async () => {
      // Another tab sharing this storage may have refreshed (or logged out) while we waited.
      const stored = await this.#tokens.load();
      if (stored === undefined) {
        await this.#end('expired');
        throw new LoginRequiredError('the session ended in another tab');
      }
      if (stored.accessToken !== current.accessToken && isFresh(stored, this.#options.now(), this.#options.leewaySeconds)) {
        this.#commit(stored);
        return stored;
      }
      const metadata = await this.#discover();
      let next: SessionRecord;
      try {
        next = await refreshSession(this.#options, metadata, stored);
      } catch (error) {
        if (error instanceof LoginRequiredError) await this.#end('expired');
        throw error;
      }
      await this.#tokens.save(next);
      this.#commit(next);
      this.#events.emit('refresh', { expiresAt: next.expiresAt });
      return next;
    });
  }

  /** Ends the session locally (the provider already considers it over). */
  async #end(reason: 'expired'): Promise<void> {
    await this.#tokens.clear().catch(() => undefined);
    const hadSession = this.#record !== undefined;
    this.#commit(undefined);
    if (hadSession) this.#events.emit('logout', { reason });
  }

  #discover(): Promise<ProviderMetadata> {
    // Cached for the client's life once it succeeds; a failure is retried on the next call.
    this.#metadata ??= discover(this.#options, this.#sessionStorage, this.#keys.discovery).catch((error: AuthError) => {
      this.#metadata = undefined;
      throw error;
    });
    return this.#metadata;
  }

  #navigate(url: string): void {
    (this.#options.navigate ?? assignLocation)(url);
  }

  #loginReturnTo(returnTo: string | undefined): string {
    const origin = this.#options.appOrigin;
    if (returnTo !== undefined) {
      const path = sameOriginPath(returnTo, origin);
      if (path === undefined) throw new ConfigError('returnTo', `must be a path or URL on ${origin}`);
      return path;
    }
    const here = currentHref();
    return (here === undefined ? undefined : sameOriginPath(here, origin)) ?? '/';
  }

  #postLogoutTarget(returnTo: string | undefined): string {
    const allowed = this.#options.postLogoutRedirectUris;
    const first = allowed[0] as string;
    if (returnTo === undefined) return first;
    let href: string;
    try {
      href = new URL(returnTo, this.#options.appOrigin).href;
    } catch {
      return first;
    }
    return allowed.includes(href) ? href : first;
  }
}

function checkListener(listener: unknown): void {
  if (typeof listener !== 'function') throw new ConfigError('listener', 'expected a function');
}

function sessionAdapter(storage: ResolvedOptions['storage']): StorageAdapter {
  if (storage === 'session') return sessionStorageAdapter();
  if (storage === 'memory') return memoryStorageAdapter();
  if (storage === 'indexeddb') return indexedDbAdapter();
  return storage;
}
