/**
 * `oidc-session/svelte`: the session as a Svelte store. No import of `svelte` at all: the store
 * contract (`subscribe(run) → unsubscribe`, `run` called at once) is all `$auth`, `fromStore()` and
 * `get()` need, in legacy and runes mode alike.
 */
import type { LoginResult } from '../client/client.js';
import type { AuthError } from '../errors/errors.js';
import type { AuthState } from '../client/state-hub.js';
import { standardClaims, type UserClaims } from './claims.js';
import { LOADING_STATE, type SessionClient } from './session-client.js';
import {
  bindingFor,
  guard,
  inBrowser,
  methodsFor,
  onErrorChange,
  report,
  setRedirectHandler,
  startRedirect,
  type AuthMethods,
  type AuthSnapshot as BindingSnapshot,
  type RedirectHandler,
} from './page-binding.js';

export type { AuthMethods, RedirectHandler } from './page-binding.js';
export type { SessionClient } from './session-client.js';
export { standardClaims, type AddressClaim, type StandardClaims, type UserClaims } from './claims.js';

/**
 * The store's value: the state and what follows from it, plus the last error.
 * @typeParam Custom - The app's own claims on `user` (see {@link UserClaims}); none by default.
 */
export interface AuthSnapshot<Custom extends object = Record<never, never>> extends Omit<BindingSnapshot, 'user'> {
  /**
   * The signed-in user's claims, or `undefined` unless `authenticated`: the standard claims typed and
   * checked ({@link standardClaims}: one of the wrong type is left out), `Custom` as asserted, others
   * `unknown`. The same object for as long as the state's user is.
   */
  readonly user: UserClaims<Custom> | undefined;
}

/** The frozen store value for `state` and `error`. */
function snapshotOf(state: AuthState, error: AuthError | undefined): AuthSnapshot {
  return Object.freeze({
    state,
    user: state.status === 'authenticated' ? standardClaims(state.user) : undefined,
    isLoading: state.status === 'loading',
    isAuthenticated: state.status === 'authenticated',
    error,
  });
}

/** Options of {@link authStore}. */
export interface AuthStoreOptions {
  /**
   * Called once per page with the login the page completed. Default: `history.replaceState()` to
   * `returnTo` (with SvelteKit, pass `({ returnTo }) => goto(returnTo, { replaceState: true })`).
   * Not called for a failed callback (see `error`), a logout return or an ordinary page load.
   */
  onRedirect?: RedirectHandler;
}

/**
 * A readable store of the session ({@link AuthSnapshot}: `state`, `user`, `isLoading`,
 * `isAuthenticated`, `error`) with the client's methods on it.
 * @typeParam Custom - The app's own claims on `user` (see {@link UserClaims}); none by default.
 */
export interface AuthStore<Custom extends object = Record<never, never>> extends AuthMethods {
  /**
   * The store contract: calls `run` now with the current snapshot and after every change; returns the
   * function that stops it. Bound, so `$auth`, `fromStore(auth)` and `get(auth)` all work.
   */
  readonly subscribe: (run: (value: AuthSnapshot<Custom>) => void, invalidate?: () => void) => () => void;
  /** The client the store follows. */
  readonly client: SessionClient;
}

/**
 * Makes the store of `client`'s session. In a browser it handles the page's redirect at once
 * (`client.handleRedirect()`, once per page however many stores are made): a login callback is
 * redeemed while the store says `loading`, then `onRedirect` takes the user back where the login
 * started. During server-side rendering the store holds `loading` and never touches the client.
 *
 * @typeParam Custom - The app's own claims, e.g. `authStore<{ tenant: string }>(client)` types
 *   `$auth.user?.tenant` (an assertion about the provider, not checked; see {@link UserClaims}).
 *   Default: none.
 * @example
 * ```ts
 * export const auth = authStore(new AuthClient({ ... }));
 * // in a component: {#if $auth.isAuthenticated} Hello {$auth.user?.name} {/if}
 * ```
 */
export function authStore<Custom extends object = Record<never, never>>(client: SessionClient, options: AuthStoreOptions = {}): AuthStore<Custom> {
  const binding = bindingFor(client);
  const browser = inBrowser();
  if (browser) {
    void startRedirect(binding);
    setRedirectHandler(binding, options.onRedirect ?? replaceUrl);
  }
  const runs = new Set<(value: AuthSnapshot) => void>();
  let value = snapshotOf(LOADING_STATE, browser ? binding.error : undefined);
  let stop: (() => void) | undefined;

  const update = (next: AuthSnapshot) => {
    if (next.state === value.state && next.error === value.error) return;
    value = next;
    for (const run of [...runs]) {
      try {
        run(value);
      } catch (error) {
        report(error);
      }
    }
  };

  const start = () => {
    const stopState = client.subscribe((state) => update(snapshotOf(state, binding.error)));
    const stopError = onErrorChange(binding, () => update(snapshotOf(value.state, binding.error)));
    stop = () => {
      stopState();
      stopError();
    };
  };

  const subscribe = (run: (value: AuthSnapshot) => void): (() => void) => {
    if (typeof run !== 'function') throw new TypeError('oidc-session: subscribe() expects a function');
    // On the server, `loading` for good: the page is rendered once and the client never started.
    if (!browser) {
      run(value);
      return () => undefined;
    }
    const entry = (next: AuthSnapshot) => run(next);
    // The first subscriber starts following the client (which calls back at once with its state).
    if (!stop) start();
    runs.add(entry);
    run(value);
    return () => {
      if (!runs.delete(entry) || runs.size > 0) return;
      stop?.();
      stop = undefined;
    };
  };

  return { subscribe, client, ...methodsFor(binding) } as AuthStore<Custom>;
}

/**
 * A guard for a page that needs a signed-in user (a SvelteKit `load`, a router hook, `onMount`):
 * waits while the session is `loading` (and for the page's redirect), resolves `true` when signed in;
 * when anonymous, starts a login that comes back to `returnTo` (default: the current page) and
 * resolves `false`. Right after a failed login callback on this page it resolves `false` without
 * starting one (no redirect loop; show `error` and let the user retry). Outside a browser it resolves
 * `false` at once and touches nothing.
 */
export function requireAuth(client: SessionClient | AuthStore, returnTo?: string): Promise<boolean> {
  const binding = bindingFor(isStore(client) ? client.client : client);
  return guard(binding, () => returnTo ?? location.pathname + location.search + location.hash);
}

function isStore(value: SessionClient | AuthStore): value is AuthStore {
  return 'client' in value && typeof (value as AuthStore).client === 'object';
}

function replaceUrl({ returnTo }: LoginResult): void {
  if (location.pathname + location.search + location.hash !== returnTo) history.replaceState(history.state, '', returnTo);
}
