// oidc-session/react: the session as React state. A context provider that subscribes to the client with
// useSyncExternalStore and handles the page's redirect once, a hook, and a route guard. Only types come
// from the core, so this entry carries no SDK code and serves both clients (browser and session-server
// mode). Written with createElement, so the library build needs no JSX settings.
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ComponentType,
  type ReactNode,
} from 'react';
import type { GetAccessTokenOptions, LoginOptions, LogoutOptions, RedirectResult } from '../client/client.js';
import type { AuthState } from '../client/state-hub.js';
import type { User } from '../session/token-set.js';
import { LOADING_STATE, type SessionClient } from './session-client.js';
import { standardClaims, type UserClaims } from './claims.js';

export type { SessionClient } from './session-client.js';
export type { AuthState, RedirectResult, User };
export { standardClaims, type AddressClaim, type StandardClaims, type UserClaims } from './claims.js';

/** The `handleRedirect()` result that completed a login on this page: where the app should go next. */
export type LoginRedirect = Extract<RedirectResult, { kind: 'login' }>;

/** Props of {@link AuthProvider}. */
export interface AuthProviderProps {
  /** `new AuthClient(...)` from `oidc-session` or from `oidc-session/server-mode`, created once, outside render. */
  client: SessionClient;
  /**
   * Called once when this page completed a login, with its `returnTo` (a path on the app's origin,
   * base path included): navigate there with your router, e.g. React Router's
   * `navigate(path, { replace: true })`. Without it the provider rewrites the address bar with
   * `history.replaceState` when `returnTo` differs from the current URL, which suits an app without a
   * client-side router.
   */
  onRedirect?: (result: LoginRedirect) => void;
  /** The app, or the part of it that uses {@link useAuth}. */
  children?: ReactNode;
}

/**
 * What {@link useAuth} returns. The functions keep their identity for the life of the client.
 * @typeParam Custom - The app's own claims on `user` (see {@link UserClaims}); none by default.
 */
export interface AuthContextValue<Custom extends object = Record<never, never>> {
  /** The client's state snapshot: `loading` on the server and in the first (hydrating) render. */
  state: AuthState;
  /**
   * The ID token's claims while authenticated, else `undefined`: the standard claims typed and checked
   * ({@link standardClaims}: one of the wrong type is left out), `Custom` as asserted, others `unknown`.
   * The same object for as long as the state's user is.
   */
  user: UserClaims<Custom> | undefined;
  /** `state.status === 'loading'`: the session is not known yet (server render, hydration, callback, restore). */
  isLoading: boolean;
  /** `state.status === 'authenticated'`. */
  isAuthenticated: boolean;
  /**
   * The failure of this page's redirect (`handleRedirect()`, e.g. `access_denied` when the user
   * cancelled) or of the last `login()` started through this binding; an `AuthError` from the SDK
   * (narrow it with `isAuthError`). Cleared by the next `login()` and when the user is signed in.
   */
  error: Error | undefined;
  /** `client.login()`; never rejects: a failure is kept as `error`. */
  login: (options?: LoginOptions) => Promise<void>;
  /** `client.logout()`. */
  logout: (options?: LogoutOptions) => Promise<void>;
  /** `client.getAccessToken()`: the cached token while fresh, else a refreshed one. */
  getAccessToken: (options?: GetAccessTokenOptions) => Promise<string>;
  /** `client.getUser()`: waits until the session has been restored. */
  getUser: () => Promise<User | undefined>;
  /** The client itself, for what the binding does not wrap (`on()` events, ...). */
  client: SessionClient;
}

const AuthContext = createContext<AuthContextValue | undefined>(undefined);
AuthContext.displayName = 'OidcSessionAuth';
/** Whether the page's redirect has been handled: guards wait for it (a failed callback must not start a login). */
const RedirectSettled = createContext(false);

/**
 * What the page's redirect produced, per client: `handleRedirect()` is called once per page load, and
 * a login's `returnTo` is delivered to one mounted provider only, whatever StrictMode's double effects,
 * remounts or several providers for one client do.
 */
interface RedirectRecord {
  readonly promise: Promise<RedirectResult>;
  delivered: boolean;
  error: Error | undefined;
}
const redirects = new WeakMap<SessionClient, RedirectRecord>();
/**
 * The login started through the binding (a guard's or the app's `login()`), per client, until it
 * fails: one navigation for every guard on the page, and none on top of the app's own.
 */
const logins = new WeakMap<SessionClient, Promise<void>>();
/**
 * Clients whose user signed out in this tab: the state turns `anonymous` before the logout navigates,
 * and a guard that started a login then would race it (and often win).
 */
const signingOut = new WeakSet<SessionClient>();

function redirectOnce(client: SessionClient): RedirectRecord {
  let record = redirects.get(client);
  if (!record) {
    let promise: Promise<RedirectResult>;
    try {
      promise = Promise.resolve(client.handleRedirect());
    } catch (error) {
      promise = Promise.reject(error);
    }
    const entry: RedirectRecord = { promise, delivered: false, error: undefined };
    promise.catch((error: unknown) => (entry.error = asError(error)));
    redirects.set(client, (record = entry));
  }
  return record;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}

/** The default for an app without a router: show `returnTo` in the address bar, no navigation. */
function replaceUrl({ returnTo }: LoginRedirect): void {
  const here = location.pathname + location.search + location.hash;
  if (returnTo !== here) history.replaceState(history.state, '', returnTo);
}

/**
 * Makes the session available to {@link useAuth} and the guards below it. On mount it calls
 * `client.handleRedirect()` once per page load: completes a login callback (then calls `onRedirect`),
 * recognises a logout return, and keeps a failure as `error`. Render is side-effect free and reads
 * nothing from `window`, so it works in server rendering and hydrates without mismatches (both sides
 * start from the `loading` state).
 */
export function AuthProvider({ client, onRedirect, children }: AuthProviderProps): ReactNode {
  const subscribe = useCallback((onChange: () => void) => client.subscribe(onChange), [client]);
  const getSnapshot = useCallback(() => client.state, [client]);
  const state = useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
  const [error, setError] = useState<Error | undefined>(undefined);
  // The client whose redirect has been handled: none on the server and in the hydrating render alike,
  // and a new client (the prop changed) is not settled before its own redirect is, even for its first render.
  const [settledFor, setSettledFor] = useState<SessionClient | undefined>(undefined);
  const settled = settledFor === client;

  const onRedirectRef = useRef(onRedirect);
  useEffect(() => {
    onRedirectRef.current = onRedirect;
  });

  useEffect(() => {
    let active = true;
    const record = redirectOnce(client);
    setError(record.error);
    record.promise.then(
      (result) => {
        if (!active) return;
        setSettledFor(client);
        if (result.kind !== 'login' || record.delivered) return;
        record.delivered = true;
        (onRedirectRef.current ?? replaceUrl)(result);
      },
      () => {
        if (!active) return;
        setError(record.error);
        setSettledFor(client);
      },
    );
    return () => {
      active = false;
    };
  }, [client]);

  // This tab's own logout (through the binding or the client directly): no guard may log in meanwhile.
  useEffect(
    () =>
      client.on('logout', ({ reason, remote }) => {
        if (reason === 'user' && !remote) signingOut.add(client);
      }),
    [client],
  );

  // A session that arrived (a retried login, another tab) makes an old failure moot.
  const signedIn = state.status === 'authenticated';
  useEffect(() => {
    if (!signedIn) return;
    signingOut.delete(client);
    const record = redirects.get(client);
    if (record) record.error = undefined;
    setError(undefined);
  }, [client, signedIn]);

  const login = useCallback(
    (options?: LoginOptions) => {
      const record = redirects.get(client);
      if (record) record.error = undefined;
      setError(undefined);
      // Never rejects, as in the other bindings: a UI calls it from a click, and the failure is for
      // the UI to show (`error`), not an unhandled rejection.
      const started: Promise<void> = client.login(options).then(
        () => undefined,
        (reason: unknown) => {
          if (logins.get(client) === started) logins.delete(client);
          setError(asError(reason));
        },
      );
      logins.set(client, started);
      return started;
    },
    [client],
  );
  const logout = useCallback(
    (options?: LogoutOptions) => {
      signingOut.add(client);
      return client.logout(options).catch((reason: unknown) => {
        // The session is ended locally whatever failed (see AuthClient.logout); say what did.
        signingOut.delete(client);
        setError(asError(reason));
      });
    },
    [client],
  );
  const getAccessToken = useCallback((options?: GetAccessTokenOptions) => client.getAccessToken(options), [client]);
  const getUser = useCallback(() => client.getUser(), [client]);

  const value = useMemo<AuthContextValue>(
    () => ({
      state,
      user: state.status === 'authenticated' ? standardClaims(state.user) : undefined,
      isLoading: state.status === 'loading',
      isAuthenticated: state.status === 'authenticated',
      error,
      login,
      logout,
      getAccessToken,
      getUser,
      client,
    }),
    [state, error, login, logout, getAccessToken, getUser, client],
  );
  return createElement(AuthContext.Provider, { value }, createElement(RedirectSettled.Provider, { value: settled }, children));
}

function getServerSnapshot(): AuthState {
  return LOADING_STATE;
}

/**
 * The session and its actions, from the nearest {@link AuthProvider}.
 * @typeParam Custom - The app's own claims, e.g. `useAuth<{ tenant: string }>()` types `user.tenant`
 *   (an assertion about the provider, not checked; see {@link UserClaims}). Default: none.
 * @throws `Error` when no `<AuthProvider>` is above the calling component.
 */
export function useAuth<Custom extends object = Record<never, never>>(): AuthContextValue<Custom> {
  const value = useContext(AuthContext);
  if (value === undefined) {
    throw new Error('useAuth() needs an <AuthProvider client={...}> above this component (oidc-session/react)');
  }
  return value as AuthContextValue<Custom>;
}

/** Options of {@link RequireAuth} and {@link withAuthenticationRequired}. */
export interface RequireAuthOptions {
  /**
   * Rendered instead of the children until the user is signed in: while the state is `loading`, while
   * the login redirect starts, and when it cannot (`useAuth().error` then says why; a "Sign in" button
   * calling `login()` there lets the user retry). Default: nothing.
   */
  fallback?: ReactNode;
  /**
   * Where to come back after login. Default: the current URL's path, query and hash, read when the
   * login starts.
   */
  returnTo?: string | (() => string);
  /** Extra authorization parameters for this login, e.g. `{ prompt: 'login' }`. */
  params?: Readonly<Record<string, string>>;
}

/** Props of {@link RequireAuth}. */
export interface RequireAuthProps extends RequireAuthOptions {
  /** Rendered for a signed-in user only. */
  children?: ReactNode;
}

/**
 * Renders its children only for a signed-in user. When the state is `anonymous` (never while it is
 * `loading`, nor before the provider has handled the page's redirect) it starts one login (one per
 * page, whatever StrictMode or several guards do) that comes back to the current URL, and renders
 * `fallback` meanwhile. It does not start a login while
 * `useAuth().error` is set (say, the user cancelled at the provider), which would send the user
 * straight back; nor while the user signs out in this tab; nor again after the user came back from the
 * provider with the browser's Back button: give `fallback` a "Sign in" button for those cases.
 */
export function RequireAuth({ children, fallback = null, returnTo, params }: RequireAuthProps): ReactNode {
  const { state, error, login, client } = useAuth();
  const settled = useContext(RedirectSettled);
  const anonymous = state.status === 'anonymous' && settled;
  const blocked = error !== undefined;
  const optionsRef = useRef({ returnTo, params });
  useEffect(() => {
    optionsRef.current = { returnTo, params };
  });

  useEffect(() => {
    if (!anonymous || blocked || logins.has(client) || signingOut.has(client)) return;
    const { returnTo: target, params: extra } = optionsRef.current;
    const options: LoginOptions = {
      returnTo: typeof target === 'function' ? target() : (target ?? location.pathname + location.search + location.hash),
    };
    if (extra) options.params = extra;
    // A failure is kept as `error` by login(), which holds the guard until the next login().
    login(options).catch(() => undefined);
  }, [anonymous, blocked, client, login]);

  return state.status === 'authenticated' ? children : fallback;
}

/**
 * `Component` behind {@link RequireAuth}: renders it for a signed-in user, else starts the login and
 * renders `options.fallback`.
 */
export function withAuthenticationRequired<P extends object>(Component: ComponentType<P>, options: RequireAuthOptions = {}): ComponentType<P> {
  function WithAuthenticationRequired(props: P): ReactNode {
    return createElement(RequireAuth, options, createElement(Component, props));
  }
  WithAuthenticationRequired.displayName = `withAuthenticationRequired(${Component.displayName || Component.name || 'Component'})`;
  return WithAuthenticationRequired;
}
