/**
 * `oidc-session/angular`: providers, a service of signals and a functional route guard. No
 * decorators and no compiled templates, so the package needs no Angular compiler: the service is a
 * plain class provided by a factory, and everything else is a function.
 */
import {
  APP_INITIALIZER,
  DestroyRef,
  ENVIRONMENT_INITIALIZER,
  InjectionToken,
  Injector,
  PLATFORM_ID,
  computed,
  inject,
  makeEnvironmentProviders,
  runInInjectionContext,
  signal,
  type EnvironmentProviders,
  type Signal,
} from '@angular/core';
import { Router, type ActivatedRouteSnapshot, type CanActivateFn, type RouterStateSnapshot } from '@angular/router';
import type { LoginResult } from '../client/client.js';
import type { AuthError } from '../errors/errors.js';
import type { AuthState } from '../client/state-hub.js';
import { standardClaims, type UserClaims } from './claims.js';
import { LOADING_STATE, type SessionClient } from './session-client.js';
import {
  bindingFor,
  guard,
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

/** The client given to {@link provideAuth}: inject it for what the service does not wrap. */
export const AUTH_CLIENT = new InjectionToken<SessionClient>('oidc-session client');

/** Options of {@link provideAuth}. */
export interface ProvideAuthOptions {
  /**
   * Called once per page with the login the page completed, in an injection context (so it may
   * `inject()`). Default: `router.navigateByUrl(returnTo, { replaceUrl: true })` with the app's
   * Router (`returnTo` taken relative to the document's `<base href>`), or `history.replaceState()`
   * without one. Not called for a failed callback (see `error`), a logout return or a plain page load.
   */
  onRedirect?: RedirectHandler;
}

const OPTIONS = new InjectionToken<ProvideAuthOptions>('oidc-session options');

/**
 * The session as signals, and the client's methods. Get it with `inject(AuthService)` or
 * {@link injectAuth} once {@link provideAuth} is in the application's providers. During
 * server-side rendering it stays `loading` and never touches the client.
 *
 * @typeParam Custom - The app's own claims on `user` (see {@link UserClaims}); none by default
 *   (so for `inject(AuthService)`). `injectAuth<{ tenant: string }>()` gives the service with them.
 */
export interface AuthService<Custom extends object = Record<never, never>> extends AuthMethods {
  /** The client's state as is (`loading`, `anonymous` or `authenticated` with `user` and `expiresAt`). */
  readonly state: Signal<AuthState>;
  /**
   * The signed-in user's claims, or `undefined`: the standard claims typed and checked
   * ({@link standardClaims}: one of the wrong type is left out), `Custom` as asserted, others
   * `unknown`. The same object for as long as the state's user is.
   */
  readonly user: Signal<UserClaims<Custom> | undefined>;
  /** `true` while the SDK does not know yet (restoring, or redeeming the login callback). */
  readonly isLoading: Signal<boolean>;
  /** `true` when a user is signed in. */
  readonly isAuthenticated: Signal<boolean>;
  /**
   * Why this page's login callback, or the last `login()` / `logout()` called through the service,
   * failed (an `AuthError`, e.g. code `oauth_error` when the user cancelled); cleared by the next
   * `login()` or `logout()`.
   */
  readonly error: Signal<AuthError | undefined>;
  /** The client itself (also injectable as {@link AUTH_CLIENT}). */
  readonly client: SessionClient;
  readonly login: AuthMethods['login'];
  readonly logout: AuthMethods['logout'];
  readonly getAccessToken: AuthMethods['getAccessToken'];
  readonly getUser: AuthMethods['getUser'];
}

// The class behind AuthService. Not itself generic: `inject()` of a generic class infers its
// parameter as `any` (and `user` with it), while this constructor's instances are `AuthService`.
class AuthServiceImpl implements AuthService {
  readonly state: Signal<AuthState>;
  readonly user: Signal<UserClaims | undefined>;
  readonly isLoading: Signal<boolean>;
  readonly isAuthenticated: Signal<boolean>;
  readonly error: Signal<AuthError | undefined>;
  readonly client: SessionClient;
  readonly login: AuthMethods['login'];
  readonly logout: AuthMethods['logout'];
  readonly getAccessToken: AuthMethods['getAccessToken'];
  readonly getUser: AuthMethods['getUser'];

  constructor() {
    const client = inject(AUTH_CLIENT);
    const options = inject(OPTIONS, { optional: true }) ?? {};
    const binding = bindingFor(client);
    const state = signal<AuthState>(LOADING_STATE);
    const error = signal<AuthError | undefined>(undefined);
    this.client = client;
    this.state = state.asReadonly();
    this.error = error.asReadonly();
    this.user = computed(() => {
      const current = state();
      return current.status === 'authenticated' ? standardClaims(current.user) : undefined;
    });
    this.isLoading = computed(() => state().status === 'loading');
    this.isAuthenticated = computed(() => state().status === 'authenticated');
    const methods = methodsFor(binding);
    this.login = methods.login;
    this.logout = methods.logout;
    this.getAccessToken = methods.getAccessToken;
    this.getUser = methods.getUser;
    if (inject(PLATFORM_ID) !== 'browser') return;

    // First the redirect (so a login callback keeps the state `loading`), then the state.
    void startRedirect(binding);
    const injector = inject(Injector);
    const handler: RedirectHandler = options.onRedirect
      ? (result) => runInInjectionContext(injector, () => (options.onRedirect as RedirectHandler)(result))
      : (result) => defaultRedirect(injector.get(Router, null), result);
    const stops = [
      setRedirectHandler(binding, handler),
      client.subscribe((next) => state.set(next)),
      onErrorChange(binding, () => error.set(binding.error)),
    ];
    error.set(binding.error);
    inject(DestroyRef).onDestroy(() => stops.forEach((stop) => stop()));
  }
}

/**
 * The service's class, the injection token of {@link AuthService}: `inject(AuthService)`. Made by
 * {@link provideAuth}'s factory, in an injection context; do not call `new AuthService()` yourself.
 */
export const AuthService: { new (): AuthService; readonly prototype: AuthService } = AuthServiceImpl;

/**
 * The providers: `bootstrapApplication(App, { providers: [provideRouter(routes), provideAuth(client)] })`.
 * When the application's injector is created (before the router's first navigation) it handles the
 * page's redirect in the browser (`client.handleRedirect()`, once per page), so a login callback is
 * redeemed while the state is `loading`, then `onRedirect` takes the user back where the login started.
 */
export function provideAuth(client: SessionClient, options: ProvideAuthOptions = {}): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: AUTH_CLIENT, useValue: client },
    { provide: OPTIONS, useValue: options },
    { provide: AuthService, useFactory: () => new AuthServiceImpl() },
    // The tokens rather than provideEnvironmentInitializer/provideAppInitializer (19+), for Angular 17 and 18.
    { provide: ENVIRONMENT_INITIALIZER, multi: true, useValue: () => void inject(AuthService) },
    { provide: APP_INITIALIZER, multi: true, useFactory: cleanUrlFirst },
  ]);
}

/**
 * The router reads the address bar at its first navigation and writes it back at its end. A login
 * callback's response leaves the address bar at once, but a logout return's `state` only once
 * `handleRedirect()` has read storage: when the page has a query string that did not go at once,
 * the app starts after the redirect is handled (a storage read; at most a second), so the router
 * never sees what the SDK removes. A callback (or a page without a query) is not held up: it renders
 * `loading` while the code is redeemed.
 */
function cleanUrlFirst(): () => Promise<void> | void {
  const binding = bindingFor(inject(AUTH_CLIENT));
  const browser = inject(PLATFORM_ID) === 'browser';
  return () => {
    const cleaned = binding.cleaned;
    if (!browser || !binding.redirect || !cleaned || cleaned.before !== cleaned.after || !new URL(cleaned.before).search) return;
    return Promise.race([binding.redirect, new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => undefined);
  };
}

/**
 * `inject(AuthService)`: the session's signals and methods (in an injection context).
 * @typeParam Custom - The app's own claims, e.g. `injectAuth<{ tenant: string }>()` types
 *   `user()?.tenant` (an assertion about the provider, not checked; see {@link UserClaims}).
 *   Default: none.
 */
export function injectAuth<Custom extends object = Record<never, never>>(): AuthService<Custom> {
  return inject(AuthService) as AuthService<Custom>;
}

/**
 * A functional route guard (`canActivate: [authGuard]`, or `canActivateChild`): waits while the
 * session is `loading` (and for the page's redirect); `true` for a signed-in user; for an anonymous
 * one it starts a single login that comes back to the route (`state.url`, under the document's
 * `<base href>`) and returns `false`. It never starts a login while `loading`, nor right after this
 * page's login callback failed (that could loop through the provider; show `error` instead). During
 * server-side rendering it returns `false` without touching the client.
 */
export const authGuard: CanActivateFn = (_route: ActivatedRouteSnapshot, state: RouterStateSnapshot) => {
  const binding = bindingFor(inject(AUTH_CLIENT));
  if (inject(PLATFORM_ID) !== 'browser') return false;
  return guard(binding, () => appPath(state.url));
};

/** The path of the document's `<base href>`, with its trailing slash ('/' without one). */
function basePath(): string {
  const base = document.querySelector('base[href]') as HTMLBaseElement | null;
  const path = base ? new URL(base.href).pathname : '/';
  return path.endsWith('/') ? path : path.replace(/[^/]*$/, '');
}

/** A router URL (`/account?tab=1`) as an absolute path on the origin. */
function appPath(url: string): string {
  return basePath() + url.replace(/^\//, '');
}

/** An absolute path on the origin (as `returnTo` is) as a router URL. */
function routerUrl(path: string): string {
  const base = basePath();
  if (path.startsWith(base)) return `/${path.slice(base.length)}`;
  if (`${path}/` === base) return '/';
  return path;
}

function defaultRedirect(router: Router | null, { returnTo }: LoginResult): unknown {
  if (router) return router.navigateByUrl(routerUrl(returnTo), { replaceUrl: true });
  if (location.pathname + location.search + location.hash !== returnTo) history.replaceState(history.state, '', returnTo);
  return undefined;
}
