// @vitest-environment happy-dom
// The Angular binding without bootstrapping an app: environment injectors made from provideAuth(), the
// service's signals read directly, and the guard run in an injection context. The JIT compiler is
// loaded because the Router class ships partially compiled.
import '@angular/compiler';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createEnvironmentInjector,
  effect,
  inject,
  PLATFORM_ID,
  runInInjectionContext,
  type EnvironmentInjector,
  type EnvironmentProviders,
  type Provider,
  provideZonelessChangeDetection,
} from '@angular/core';
import { createApplication, platformBrowser } from '@angular/platform-browser';
import { Router, type ActivatedRouteSnapshot, type RouterStateSnapshot } from '@angular/router';
import { AUTH_CLIENT, AuthService, authGuard, injectAuth, provideAuth, standardClaims, type UserClaims } from '../../src/bindings/angular.js';
import type { AuthState } from '../../src/client/state-hub.js';
import type { SessionClient } from '../../src/bindings/session-client.js';
import { ANONYMOUS, LOADING, ada, fakeClient, flush } from './fake-client.js';


const platform = platformBrowser();
const injectors: EnvironmentInjector[] = [];
function environment(providers: Array<Provider | EnvironmentProviders>): EnvironmentInjector {
  const injector = createEnvironmentInjector(providers, platform.injector as EnvironmentInjector);
  injectors.push(injector);
  return injector;
}

/** A stand-in Router that records navigations. */
function fakeRouter() {
  const navigations: Array<[string, unknown]> = [];
  return { navigations, provider: { provide: Router, useValue: { navigateByUrl: async (url: string, extras: unknown) => void navigations.push([url, extras]) } } };
}

const route = {} as ActivatedRouteSnapshot;
const routerState = (url: string) => ({ url }) as RouterStateSnapshot;

afterEach(() => {
  for (const injector of injectors.splice(0)) if (!(injector as { destroyed?: boolean }).destroyed) injector.destroy();
  document.head.querySelector('base')?.remove();
  history.replaceState(null, '', '/');
});

describe('provideAuth + AuthService', () => {
  it('handles the redirect when the injector is created, before subscribing, once for two injectors', () => {
    const fake = fakeClient();
    const order: string[] = [];
    const subscribe = fake.client.subscribe;
    fake.client.subscribe = (listener) => (order.push('subscribe'), subscribe(listener));
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (order.push('redirect'), handleRedirect());
    environment([provideAuth(fake.client), fakeRouter().provider]);
    environment([provideAuth(fake.client), fakeRouter().provider]);
    expect(order).toEqual(['redirect', 'subscribe', 'subscribe']);
    expect(fake.calls.handleRedirect).toBe(1);
  });

  it('exposes signals that follow the client', () => {
    const fake = fakeClient();
    const injector = environment([provideAuth(fake.client), fakeRouter().provider]);
    const auth = injector.get(AuthService);
    expect(runInInjectionContext(injector, injectAuth)).toBe(auth);
    expect(injector.get(AUTH_CLIENT)).toBe(fake.client);
    expect([auth.state(), auth.isLoading(), auth.isAuthenticated(), auth.user()]).toEqual([LOADING, true, false, undefined]);
    const signedIn = ada();
    fake.set(signedIn);
    expect([auth.state(), auth.isLoading(), auth.isAuthenticated(), auth.user()?.name]).toEqual([signedIn, false, true, 'Ada']);
    fake.set(ANONYMOUS);
    expect([auth.isLoading(), auth.isAuthenticated(), auth.user()]).toEqual([false, false, undefined]);
  });

  it('shows the user with standard claims of the wrong type left out, the same object while the user is', () => {
    const user = { sub: 'ada', name: 42, given_name: ['Ada'], email: null, tenant: 'acme' };
    const signedIn: AuthState = Object.freeze({ status: 'authenticated', user, expiresAt: Date.now() + 60_000 });
    const fake = fakeClient(signedIn);
    const injector = environment([provideAuth(fake.client), fakeRouter().provider]);
    const auth = runInInjectionContext(injector, () => injectAuth<{ tenant: string }>());
    expect(auth).toBe(injector.get(AuthService));
    const shown = auth.user();
    expect(shown).toEqual({ sub: 'ada', tenant: 'acme' });
    expect(shown?.name).toBeUndefined();
    expect(shown?.tenant).toBe('acme');
    expect(shown).toBe(standardClaims(user));
    // A new state (a refresh) with the same user: the same user object.
    fake.set(Object.freeze({ ...signedIn, expiresAt: Date.now() + 120_000 }));
    expect(auth.state()).not.toBe(signedIn);
    expect(auth.user()).toBe(shown);
  });

  it('types the user: standard claims, custom claims from the type parameter, the rest unknown', () => {
    expectTypeOf(() => injectAuth().user()).returns.toEqualTypeOf<UserClaims | undefined>();
    expectTypeOf<ReturnType<AuthService['user']>>().toEqualTypeOf<UserClaims | undefined>();
    expectTypeOf(() => injectAuth<{ tenant: string }>().user()).returns.toEqualTypeOf<UserClaims<{ tenant: string }> | undefined>();
    // inject(AuthService) gives the service without custom claims.
    expectTypeOf(() => inject(AuthService).user()).returns.toEqualTypeOf<UserClaims | undefined>();
    type User = NonNullable<ReturnType<AuthService<{ tenant: string }>['user']>>;
    expectTypeOf<User['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<User['email_verified']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<User['tenant']>().toEqualTypeOf<string>();
    expectTypeOf<User['department']>().toEqualTypeOf<unknown>();
  });

  it('in a real application (zoneless), a state change outside Angular reaches effects without a manual tick', async () => {
    const fake = fakeClient();
    const app = await createApplication({ providers: [provideZonelessChangeDetection(), provideAuth(fake.client), fakeRouter().provider] });
    const auth = app.injector.get(AuthService);
    const seen: string[] = [];
    runInInjectionContext(app.injector, () => effect(() => void seen.push(auth.state().status)));
    await flush();
    fake.set(ANONYMOUS);
    await flush();
    expect(seen).toEqual(['loading', 'anonymous']);
    app.destroy();
  });

  it('navigates with the Router to returnTo (relative to <base href>) after a login, once', async () => {
    const base = document.createElement('base');
    base.href = '/ng/';
    document.head.append(base);
    const fake = fakeClient();
    const router = fakeRouter();
    environment([provideAuth(fake.client), router.provider]);
    environment([provideAuth(fake.client), router.provider]);
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/ng/account?tab=1' });
    await flush();
    expect(router.navigations).toEqual([['/account?tab=1', { replaceUrl: true }]]);
  });

  it('starts the app only once a logout return’s state has left the address bar, so the router never sees it', async () => {
    history.replaceState(null, '', '/ng/?state=xyz&keep=1');
    const fake = fakeClient(ANONYMOUS);
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => {
      setTimeout(() => {
        history.replaceState(history.state, '', '/ng/?keep=1');
        fake.settle.resolve({ kind: 'logout' });
      }, 50);
      return handleRedirect();
    };
    const app = await createApplication({ providers: [provideZonelessChangeDetection(), provideAuth(fake.client), fakeRouter().provider] });
    expect(location.pathname + location.search).toBe('/ng/?keep=1');
    app.destroy();
  });

  it('does not hold the app up for a login callback (already clean) or a page without a query', async () => {
    history.replaceState(null, '', '/ng/?code=abc&state=xyz');
    const fake = fakeClient();
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (history.replaceState(history.state, '', '/ng/'), handleRedirect());
    // The redirect never settles here: the application must start at once all the same (not after the 1 s cap).
    let since = Date.now();
    const app = await createApplication({ providers: [provideZonelessChangeDetection(), provideAuth(fake.client), fakeRouter().provider] });
    expect(Date.now() - since).toBeLessThan(500);
    expect(app.injector.get(AuthService).isLoading()).toBe(true);
    app.destroy();
    history.replaceState(null, '', '/ng/');
    const other = fakeClient();
    since = Date.now();
    const started = await createApplication({ providers: [provideZonelessChangeDetection(), provideAuth(other.client), fakeRouter().provider] });
    expect(Date.now() - since).toBeLessThan(500);
    started.destroy();
  });

  it('calls onRedirect in an injection context instead', async () => {
    const fake = fakeClient();
    const seen: unknown[] = [];
    environment([
      provideAuth(fake.client, { onRedirect: (result) => seen.push([result.returnTo, typeof injectAuth()]) }),
      fakeRouter().provider,
    ]);
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/account' });
    await flush();
    expect(seen).toEqual([['/account', 'object']]);
  });

  it('shows a failed callback as error until login(); login() never rejects', async () => {
    const fake = fakeClient();
    const auth = environment([provideAuth(fake.client), fakeRouter().provider]).get(AuthService);
    const denied = new Error('access_denied');
    fake.settle.reject(denied);
    fake.set(ANONYMOUS);
    await flush();
    expect(auth.error()).toBe(denied);
    fake.client.logout = () => Promise.reject(new Error('server unreachable'));
    await expect(auth.logout()).resolves.toBeUndefined();
    expect(auth.error()?.message).toBe('server unreachable');
    await auth.login();
    expect(auth.error()).toBeUndefined();
    expect(fake.calls.login).toEqual([undefined]);
  });

  it('stops following the client, and never navigates, once the injector is destroyed during the redirect', async () => {
    const fake = fakeClient();
    const router = fakeRouter();
    const injector = environment([provideAuth(fake.client), router.provider]);
    expect(fake.listeners.size).toBe(1);
    injector.destroy();
    expect(fake.listeners.size).toBe(0);
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/account' });
    await flush();
    expect(router.navigations).toEqual([]);
  });

  it('on the server: loading, and the client is never called', () => {
    const touched: string[] = [];
    const client = new Proxy({} as SessionClient, {
      get: (_target, key) => (key === 'then' ? undefined : () => void touched.push(String(key))),
    });
    const injector = environment([provideAuth(client), { provide: PLATFORM_ID, useValue: 'server' }]);
    expect(injector.get(AuthService).state()).toEqual(LOADING);
    expect(runInInjectionContext(injector, () => authGuard(route, routerState('/account')))).toBe(false);
    expect(touched).toEqual([]);
  });
});

describe('authGuard', () => {
  it('waits while loading, then starts one login back to the route under <base href> and returns false', async () => {
    const base = document.createElement('base');
    base.href = '/ng/';
    document.head.append(base);
    const fake = fakeClient();
    const injector = environment([provideAuth(fake.client), fakeRouter().provider]);
    fake.settle.resolve({ kind: 'none' });
    const results = Promise.all([
      runInInjectionContext(injector, () => authGuard(route, routerState('/account?tab=1'))),
      runInInjectionContext(injector, () => authGuard(route, routerState('/account?tab=1'))),
    ]);
    await flush();
    expect(fake.calls.login).toEqual([]);
    fake.set(ANONYMOUS);
    expect(await results).toEqual([false, false]);
    expect(fake.calls.login).toEqual([{ returnTo: '/ng/account?tab=1' }]);
  });

  it('lets a signed-in user through', async () => {
    const fake = fakeClient(ada());
    const injector = environment([provideAuth(fake.client), fakeRouter().provider]);
    fake.settle.resolve({ kind: 'none' });
    await expect(runInInjectionContext(injector, () => authGuard(route, routerState('/account')))).resolves.toBe(true);
    expect(fake.calls.login).toEqual([]);
  });

  it('never starts a login right after this page’s callback failed', async () => {
    const fake = fakeClient();
    const injector = environment([provideAuth(fake.client), fakeRouter().provider]);
    fake.settle.reject(new Error('invalid_id_token'));
    fake.set(ANONYMOUS);
    await expect(runInInjectionContext(injector, () => authGuard(route, routerState('/account')))).resolves.toBe(false);
    expect(fake.calls.login).toEqual([]);
  });
});
