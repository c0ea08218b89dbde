/**
 * The framework-free part of the Vue, Svelte and Angular bindings: what one client needs on a page,
 * whatever renders it. One record per client (a WeakMap), so that two apps, two plugin installs or a
 * store created twice still handle the redirect once and show the same error.
 *
 * The Svelte binding is exactly this behind the store contract; each entry (vue, svelte, angular)
 * bundles its own copy. It imports only types from the core (and the frozen `LOADING_STATE`), so no
 * binding carries SDK code. (React keeps its own, in hooks: its effects and StrictMode differ.)
 */
import type { GetAccessTokenOptions, LoginOptions, LoginResult, LogoutOptions, RedirectResult } from '../client/client.js';
import type { AuthError } from '../errors/errors.js';
import type { AuthState } from '../client/state-hub.js';
import type { User } from '../session/token-set.js';
import type { SessionClient } from './session-client.js';

/** Called once per page with the login the page completed: take the user to `returnTo`. */
export type RedirectHandler = (result: LoginResult) => unknown;

/** What the UI shows: the state and what follows from it, plus the last error. */
export interface AuthSnapshot {
  /** The client's state, as is. */
  readonly state: AuthState;
  /** The signed-in user's claims, or `undefined` unless `authenticated`. */
  readonly user: User | undefined;
  /** `true` while the SDK does not know yet (restoring, or redeeming a login callback). */
  readonly isLoading: boolean;
  /** `true` when a user is signed in. */
  readonly isAuthenticated: boolean;
  /**
   * Why the login callback on this page, or the last `login()` / `logout()` called through the
   * binding, failed; `undefined` when nothing failed. Cleared when `login()` or `logout()` is called
   * again. Usually an `AuthError` (e.g. code `oauth_error` when the user cancelled at the provider).
   */
  readonly error: AuthError | undefined;
}

/** Per-client state shared by every binding on the page. */
export interface Binding {
  readonly client: SessionClient;
  /** The page's redirect, handled once: its result, or `undefined` when it failed. */
  redirect: Promise<RedirectResult | undefined> | undefined;
  /**
   * The URL before and after `handleRedirect()` ran its synchronous part: a login callback's response
   * leaves the address bar then, a logout return's `state` only later (after a storage read).
   */
  cleaned: { readonly before: string; readonly after: string } | undefined;
  result: RedirectResult | undefined;
  handler: RedirectHandler | undefined;
  delivered: boolean;
  error: AuthError | undefined;
  /**
   * The redirect on this page failed and no login was started since: guards then never start a login
   * on their own, which would loop (provider session → callback → same failure → guard → provider...).
   */
  failed: boolean;
  /** A guard's login on its way to the provider: concurrent guards share it. */
  guardLogin: Promise<void> | undefined;
  /** Maps a router path to the app's absolute path (set by a binding that knows the router's base). */
  toAppPath: ((routerPath: string) => string) | undefined;
  readonly errorListeners: Set<() => void>;
}

const bindings = new WeakMap<SessionClient, Binding>();

/** True in a browser page (not during server-side rendering, not in a worker). */
export function inBrowser(): boolean {
  return typeof window !== 'undefined' && typeof document !== 'undefined';
}

/** The page's record for `client`, created on first use. */
export function bindingFor(client: SessionClient): Binding {
  let binding = bindings.get(client);
  if (!binding) {
    checkClient(client);
    binding = {
      client,
      redirect: undefined,
      cleaned: undefined,
      result: undefined,
      handler: undefined,
      delivered: false,
      error: undefined,
      failed: false,
      guardLogin: undefined,
      toAppPath: undefined,
      errorListeners: new Set(),
    };
    bindings.set(client, binding);
  }
  return binding;
}

function checkClient(client: unknown): void {
  const c = client as Partial<SessionClient> | null;
  if (!c || typeof c.subscribe !== 'function' || typeof c.handleRedirect !== 'function' || typeof c.login !== 'function') {
    throw new TypeError('oidc-session: expected a client (AuthClient from oidc-session or oidc-session/server-mode) with handleRedirect()');
  }
}

/**
 * Handles the page's redirect once (browser only): the first call runs `client.handleRedirect()`,
 * every later one gets the same promise. Call it before anything reads the client's state, so that a
 * pending login callback keeps the state `loading`. Never rejects: a failure lands in `error`.
 */
export function startRedirect(binding: Binding): Promise<RedirectResult | undefined> {
  if (binding.redirect) return binding.redirect;
  const before = location.href;
  let pending: Promise<RedirectResult>;
  try {
    pending = binding.client.handleRedirect();
  } catch (error) {
    pending = Promise.reject(error);
  }
  // handleRedirect() removes a login callback's response from the address bar synchronously (a logout
  // return's `state` only after a storage read): routers that read the URL earlier need to know.
  binding.cleaned = { before, after: location.href };
  binding.redirect = pending.then(
    (result) => {
      binding.result = result;
      deliver(binding);
      return result;
    },
    (error: unknown) => {
      binding.failed = true;
      setError(binding, error);
      return undefined;
    },
  );
  return binding.redirect;
}

/**
 * Makes `handler` the one that receives this page's login result (the first registered wins; it is
 * called at most once per page, now if the result is already there). Returns the function that
 * withdraws it, so that an app unmounted before the result came never navigates.
 */
export function setRedirectHandler(binding: Binding, handler: RedirectHandler): () => void {
  if (binding.handler) return () => undefined;
  binding.handler = handler;
  deliver(binding);
  return () => {
    if (binding.handler === handler) binding.handler = undefined;
  };
}

function deliver(binding: Binding): void {
  const { result, handler } = binding;
  if (!handler || binding.delivered || result?.kind !== 'login') return;
  binding.delivered = true;
  try {
    const returned = handler(result) as { catch?: unknown } | undefined;
    if (returned && typeof returned.catch === 'function') (returned as Promise<unknown>).catch((error) => setError(binding, error));
  } catch (error) {
    setError(binding, error);
  }
}

/** Sets (or clears, with `undefined`) the error every binding shows, and tells them. */
export function setError(binding: Binding, error: unknown): void {
  if (binding.error === error) return;
  binding.error = error as AuthError | undefined;
  for (const listener of [...binding.errorListeners]) {
    try {
      listener();
    } catch (thrown) {
      report(thrown);
    }
  }
}

/** Calls `listener` after every change of the error; returns the function that stops it. */
export function onErrorChange(binding: Binding, listener: () => void): () => void {
  binding.errorListeners.add(listener);
  return () => void binding.errorListeners.delete(listener);
}

/** `client.login()` for the UI: clears the error first; never rejects (a failure lands in `error`). */
export async function login(binding: Binding, options?: LoginOptions): Promise<void> {
  binding.failed = false;
  setError(binding, undefined);
  try {
    await binding.client.login(options);
  } catch (error) {
    setError(binding, error);
  }
}

/** `client.logout()` for the UI: clears the error first; never rejects (a failure lands in `error`). */
export async function logout(binding: Binding, options?: LogoutOptions): Promise<void> {
  setError(binding, undefined);
  try {
    await binding.client.logout(options);
  } catch (error) {
    setError(binding, error);
  }
}

/** The methods every binding exposes, bound to the client (so they can be passed around as they are). */
export interface AuthMethods {
  /**
   * Starts a login (see the client's `login()`): clears `error`, then navigates to the provider.
   * Never rejects: a failure (provider unreachable, storage blocked) lands in `error`.
   */
  login(options?: LoginOptions): Promise<void>;
  /** Ends the session (see the client's `logout()`). Never rejects: a failure lands in `error`. */
  logout(options?: LogoutOptions): Promise<void>;
  /** The client's `getAccessToken()`: rejects as it does (`login_required`, `network_error`, ...). */
  getAccessToken(options?: GetAccessTokenOptions): Promise<string>;
  /** The client's `getUser()`: the user's claims once the session is known, or `undefined`. */
  getUser(): Promise<User | undefined>;
}

/** {@link AuthMethods} for one client. */
export function methodsFor(binding: Binding): AuthMethods {
  const { client } = binding;
  return {
    login: (options) => login(binding, options),
    logout: (options) => logout(binding, options),
    getAccessToken: (options) => client.getAccessToken(options),
    getUser: () => client.getUser(),
  };
}

/** Resolves with the first state that is not `loading` (now, if the state is known). */
export function whenKnown(client: SessionClient): Promise<AuthState> {
  return new Promise((resolve) => {
    let done = false;
    let stop: (() => void) | undefined;
    stop = client.subscribe((state) => {
      if (done || state.status === 'loading') return;
      done = true;
      resolve(state);
      stop?.();
    });
    if (done) stop();
  });
}

/**
 * What every guard does: waits for the page's redirect and for the state to be known; `true` when
 * signed in. When anonymous it starts one login back to `returnTo` (concurrent guards share it) and
 * resolves `false` — except right after this page's login callback failed, when it resolves `false`
 * without a login (the app shows `error`; a login the user starts clears it). Outside a browser it
 * resolves `false` at once without touching the client: the browser decides after hydration.
 */
export async function guard(binding: Binding, returnTo: () => string): Promise<boolean> {
  if (!inBrowser()) return false;
  await startRedirect(binding);
  const state = await whenKnown(binding.client);
  if (state.status === 'authenticated') return true;
  if (binding.failed) return false;
  binding.guardLogin ??= login(binding, { returnTo: returnTo() }).finally(() => {
    binding.guardLogin = undefined;
  });
  await binding.guardLogin;
  return false;
}

/** Reports an error the way the browser reports an uncaught one, without breaking the caller. */
export function report(error: unknown): void {
  if (typeof reportError === 'function') reportError(error);
  else setTimeout(() => {
    throw error;
  });
}
