/**
 * `oidc-session/vue`: a plugin, a composable and a vue-router guard. Only `vue` is imported at run
 * time; vue-router is used through the router object the app already has (no import of it here).
 */
import { computed, inject, shallowRef, type App, type ComputedRef, type InjectionKey, type Plugin } from 'vue';
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
  setRedirectHandler,
  startRedirect,
  type AuthMethods,
  type Binding,
  type RedirectHandler,
} from './page-binding.js';

export type { AuthMethods, RedirectHandler } from './page-binding.js';
export type { SessionClient } from './session-client.js';
export { standardClaims, type AddressClaim, type StandardClaims, type UserClaims } from './claims.js';

/**
 * What the binding needs of a vue-router `Router` (vue-router 4): described here rather than imported,
 * so that apps without vue-router need not install it.
 */
export interface RouterLike {
  replace(to: string): Promise<unknown>;
  resolve(to: string): { href: string };
  isReady(): Promise<unknown>;
  beforeEach(guard: (to: RouteLike, from: RouteLike & { readonly matched: readonly unknown[] }) => unknown): () => void;
  readonly options: { readonly history: { readonly base: string } };
}

/** What the guard reads of a vue-router route location. */
export interface RouteLike {
  readonly fullPath: string;
  readonly path: string;
  readonly hash: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly meta: Readonly<Record<PropertyKey, unknown>>;
}

/** Options of {@link createAuth}. */
export interface CreateAuthOptions {
  /**
   * Called once per page with the login the page completed. Default: `router.replace(returnTo)` with
   * the app's vue-router (the `router` option, or the router installed on the app), otherwise
   * `history.replaceState()` to `returnTo`. With a router it is called once the router's first
   * navigation is done. Not called for a failed callback (see `error`), a logout return or an
   * ordinary page load.
   */
  onRedirect?: RedirectHandler;
  /**
   * The app's vue-router, when it is not installed on the app before this plugin (`app.use(router)`
   * first lets the plugin find it). Used by the default `onRedirect`, to keep the callback's `code`
   * and `state` out of the first route, and by {@link createAuthGuard} to know the router's base.
   */
  router?: RouterLike;
}

/**
 * What {@link useAuth} returns: read-only reactive views of the session, and the methods.
 * @typeParam Custom - The app's own claims on `user` (see {@link UserClaims}); none by default.
 */
export interface UseAuth<Custom extends object = Record<never, never>> extends AuthMethods {
  /** The client's state as is (`loading`, `anonymous` or `authenticated` with `user` and `expiresAt`). */
  readonly state: ComputedRef<AuthState>;
  /**
   * The signed-in user's claims, or `undefined`: the standard claims typed and checked
   * ({@link standardClaims}: one of the wrong type is left out), `Custom` as asserted, others
   * `unknown`. The same object for as long as the state's user is.
   */
  readonly user: ComputedRef<UserClaims<Custom> | undefined>;
  /** `true` while the SDK does not know yet (restoring, or redeeming the login callback). */
  readonly isLoading: ComputedRef<boolean>;
  /** `true` when a user is signed in. */
  readonly isAuthenticated: ComputedRef<boolean>;
  /**
   * Why this page's login callback, or the last `login()` / `logout()` called through the binding,
   * failed (an `AuthError`, e.g. code `oauth_error` when the user cancelled); cleared by the next
   * `login()` or `logout()`.
   */
  readonly error: ComputedRef<AuthError | undefined>;
  /** The client itself, for what the binding does not wrap (`on()`, `handleRedirect()`). */
  readonly client: SessionClient;
}

/** The injection key of the plugin's {@link UseAuth} (what {@link useAuth} injects). */
export const AUTH_KEY: InjectionKey<UseAuth> = Symbol('oidc-session');

/**
 * The plugin: `app.use(createAuth(client))`. In the browser it handles the page's redirect at once
 * (`client.handleRedirect()`, once per page however many apps install it), keeps the callback's
 * response parameters out of vue-router's first route, follows the client's state until the app is
 * unmounted, and provides {@link useAuth} (and `$auth` in templates). During server-side rendering
 * it provides `loading` and never touches the client or `window`.
 */
export function createAuth(client: SessionClient, options: CreateAuthOptions = {}): Plugin {
  return {
    install(app: App) {
      // Installed twice on one app (two createAuth() calls): the first install serves both.
      if (app.runWithContext(() => inject(AUTH_KEY, undefined))?.client === client) return;
      const binding = bindingFor(client);
      const browser = inBrowser();
      const state = shallowRef<AuthState>(LOADING_STATE);
      const error = shallowRef<AuthError | undefined>(undefined);
      const auth: UseAuth = {
        state: computed(() => state.value),
        user: computed(() => (state.value.status === 'authenticated' ? standardClaims(state.value.user) : undefined)),
        isLoading: computed(() => state.value.status === 'loading'),
        isAuthenticated: computed(() => state.value.status === 'authenticated'),
        error: computed(() => error.value),
        client,
        ...methodsFor(binding),
      };
      app.provide(AUTH_KEY, auth);
      app.config.globalProperties.$auth = auth;
      if (!browser) return;

      // First the redirect (so a login callback keeps the state `loading`), then the state.
      void startRedirect(binding);
      const stops: Array<() => void> = [];
      let routerSeen = false;
      const useRouter = (router: RouterLike | undefined) => {
        if (routerSeen || !router) return;
        routerSeen = true;
        binding.toAppPath = (path) => appPath(router, path);
        stops.push(cleanFirstRoute(router, binding));
      };
      useRouter(options.router ?? routerOf(app));
      // `app.use(auth).use(router)`: the router is there a moment later, before its first navigation runs its guards.
      if (!routerSeen) queueMicrotask(() => useRouter(routerOf(app)));
      const onRedirect = options.onRedirect ?? ((result: LoginResult) => defaultRedirect(options.router ?? routerOf(app), result));
      stops.push(
        // With a router, after its first navigation (which waits for the redirect, see cleanFirstRoute):
        // a navigation started earlier would be overtaken by it.
        setRedirectHandler(binding, (result) => {
          const router = options.router ?? routerOf(app);
          const go = () => (stops.length > 0 ? onRedirect(result) : undefined);
          return router ? router.isReady().then(go, go) : go();
        }),
        client.subscribe((next) => (state.value = next)),
        onErrorChange(binding, () => (error.value = binding.error)),
      );
      error.value = binding.error;
      // Vue 3.5+: stop following the client (and never navigate for this app) once it is unmounted.
      const onUnmount = (app as { onUnmount?: (cleanup: () => void) => void }).onUnmount;
      if (typeof onUnmount === 'function') onUnmount.call(app, () => stops.splice(0).forEach((stop) => stop()));
    },
  };
}

/**
 * The session in a component (or anywhere `inject()` works): read-only computed refs and the methods.
 * Needs {@link createAuth} installed on the app.
 * @typeParam Custom - The app's own claims, e.g. `useAuth<{ tenant: string }>()` types
 *   `user.value?.tenant` (an assertion about the provider, not checked; see {@link UserClaims}).
 *   Default: none. (`$auth` in templates has none.)
 * @throws TypeError when the plugin is not installed.
 */
export function useAuth<Custom extends object = Record<never, never>>(): UseAuth<Custom> {
  const auth = inject(AUTH_KEY, undefined);
  if (!auth) throw new TypeError('oidc-session: useAuth() needs app.use(createAuth(client)) and a component setup (or app.runWithContext)');
  return auth as UseAuth<Custom>;
}

/** Options of {@link createAuthGuard}. */
export interface AuthGuardOptions {
  /**
   * Which routes need a signed-in user. Default `'meta'`: those whose `meta.requiresAuth` is set
   * (truthy; nested routes inherit their parent's meta). `'all'`: every route the guard runs for, except
   * those with `meta.requiresAuth === false` (for `beforeEnter`, or a `beforeEach` guarding the app).
   */
  protect?: 'meta' | 'all';
}

/**
 * A vue-router navigation guard (`router.beforeEach(...)` or a route's `beforeEnter`): waits while the
 * session is `loading` (and for the page's redirect); lets a signed-in user through; for an anonymous
 * one starts a single login that comes back to the route (`to.fullPath`, under the router's base) and
 * cancels the navigation. It never starts a login while `loading`, nor right after this page's login
 * callback failed (that could loop through the provider; the app shows `error` instead). During
 * server-side rendering a protected route is refused without touching the client.
 */
export function createAuthGuard(client: SessionClient, options: AuthGuardOptions = {}): (to: RouteLike) => Promise<boolean> | true {
  const binding = bindingFor(client);
  const protect = options.protect ?? 'meta';
  return (to) => {
    const required = to.meta.requiresAuth;
    if (protect === 'meta' ? !required : required === false) return true;
    return guard(binding, () => (binding.toAppPath ? binding.toAppPath(to.fullPath) : to.fullPath));
  };
}

function routerOf(app: App): RouterLike | undefined {
  const router = (app.config.globalProperties as { $router?: unknown }).$router as RouterLike | undefined;
  return router && typeof router.replace === 'function' && typeof router.beforeEach === 'function' ? router : undefined;
}

/**
 * vue-router read the address bar when its history was created, before `handleRedirect()` cleaned it
 * (at once for a login callback, a moment later for a logout return's `state`): its first navigation
 * would put `?code=...&state=...` back. So that first navigation waits for the redirect to be handled
 * (it would be replaced by `returnTo` after a login anyway), then drops what the SDK removed.
 */
function cleanFirstRoute(router: RouterLike, binding: Binding): () => void {
  const before = new URL(binding.cleaned?.before ?? location.href);
  if (!before.search && !before.hash) return () => undefined;
  const remove = router.beforeEach(async (to, from) => {
    remove();
    // Only the router's first navigation (from its start location, which matches no route).
    if (from && from.matched.length > 0) return true;
    await binding.redirect;
    const now = new URL(location.href);
    const removed = [...new Set(before.searchParams.keys())].filter((key) => !now.searchParams.has(key));
    const hashRemoved = before.hash !== '' && now.hash === '' && !router.options.history.base.includes('#');
    if (!Object.keys(to.query).some((key) => removed.includes(key)) && !(hashRemoved && to.hash)) return true;
    const query = Object.fromEntries(Object.entries(to.query).filter(([key]) => !removed.includes(key)));
    return { path: to.path, query, hash: hashRemoved ? '' : to.hash, replace: true };
  });
  return remove;
}

/** A router path as an absolute path on the app's origin (under the router's base). */
function appPath(router: RouterLike, path: string): string {
  const href = router.resolve(path).href;
  return href.startsWith('/') ? href : location.pathname + location.search + href;
}

/** An absolute path on the origin (as `returnTo` is) as a path of `router`. */
function routerPath(router: RouterLike, path: string): string {
  const base = router.options.history.base;
  const hash = base.indexOf('#');
  if (hash >= 0) {
    const at = path.indexOf('#');
    return at >= 0 ? path.slice(at + 1) || '/' : '/';
  }
  if (base && base !== '/' && (path === base || path.startsWith(`${base}/`) || path.startsWith(`${base}?`))) return path.slice(base.length) || '/';
  return path;
}

function defaultRedirect(router: RouterLike | undefined, { returnTo }: LoginResult): unknown {
  if (router) return router.replace(routerPath(router, returnTo));
  if (location.pathname + location.search + location.hash !== returnTo) history.replaceState(history.state, '', returnTo);
  return undefined;
}

declare module 'vue' {
  interface ComponentCustomProperties {
    /** The session, as {@link useAuth} returns it (installed by {@link createAuth}). */
    $auth: UseAuth;
  }
}
