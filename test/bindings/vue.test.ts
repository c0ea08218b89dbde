// @vitest-environment happy-dom
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createApp, defineComponent, h, nextTick, type App } from 'vue';
import { createMemoryHistory, createRouter, createWebHistory, RouterView } from 'vue-router';
import { AUTH_KEY, createAuth, createAuthGuard, standardClaims, useAuth, type UseAuth, type UserClaims } from '../../src/bindings/vue.js';
import type { AuthState } from '../../src/client/state-hub.js';
import { ANONYMOUS, ada, fakeClient, flush as flushAll } from './fake-client.js';

const flush = async () => {
  await flushAll();
  await nextTick();
};

const Status = defineComponent({
  setup() {
    const { state, user, isLoading, isAuthenticated, error } = useAuth();
    return () =>
      h('p', { id: 'status' }, `${state.value.status}|${String(user.value?.name ?? '')}|${isLoading.value}|${isAuthenticated.value}|${error.value?.message ?? ''}`);
  },
});

const apps: App[] = [];
function mount(app: App): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  app.mount(root);
  apps.push(app);
  return root;
}

afterEach(() => {
  for (const app of apps.splice(0)) {
    try {
      app.unmount();
    } catch {
      // already unmounted by the test
    }
  }
  history.replaceState(null, '', '/');
});

describe('createAuth + useAuth', () => {
  it('renders the state and follows every change', async () => {
    const fake = fakeClient();
    const root = mount(createApp(Status).use(createAuth(fake.client)));
    expect(root.textContent).toBe('loading||true|false|');
    fake.set(ada());
    await nextTick();
    expect(root.textContent).toBe('authenticated|Ada|false|true|');
    fake.set(ANONYMOUS);
    await nextTick();
    expect(root.textContent).toBe('anonymous||false|false|');
  });

  it('calls handleRedirect() before it subscribes, and only once for two installs and two apps', async () => {
    const fake = fakeClient();
    const order: string[] = [];
    const subscribe = fake.client.subscribe;
    fake.client.subscribe = (listener) => (order.push('subscribe'), subscribe(listener));
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (order.push('redirect'), handleRedirect());
    const seen: unknown[] = [];
    const onRedirect = (result: unknown) => void seen.push(result);
    mount(createApp(Status).use(createAuth(fake.client, { onRedirect })).use(createAuth(fake.client, { onRedirect })));
    mount(createApp(Status).use(createAuth(fake.client, { onRedirect })));
    expect(order[0]).toBe('redirect');
    expect(fake.calls.handleRedirect).toBe(1);
    // One subscription per app: the second install on the first app adds nothing.
    expect(fake.listeners.size).toBe(2);
    const result = { kind: 'login', user: { sub: 'ada' }, returnTo: '/account' } as const;
    fake.settle.resolve(result);
    await flush();
    expect(seen).toEqual([result]);
  });

  it('does not call onRedirect for a logout return or a plain page', async () => {
    const fake = fakeClient();
    const seen: unknown[] = [];
    mount(createApp(Status).use(createAuth(fake.client, { onRedirect: (r) => void seen.push(r) })));
    fake.settle.resolve({ kind: 'logout' });
    await flush();
    expect(seen).toEqual([]);
  });

  it('shows a failed callback as error, keeps it until login() is called, and login() never rejects', async () => {
    const fake = fakeClient();
    let auth!: UseAuth;
    const root = mount(
      createApp(
        defineComponent({
          setup() {
            auth = useAuth();
            return () => h(Status);
          },
        }),
      ).use(createAuth(fake.client)),
    );
    const denied = Object.assign(new Error('access_denied'), { code: 'oauth_error' });
    fake.settle.reject(denied);
    fake.set(ANONYMOUS);
    await flush();
    expect(root.textContent).toBe('anonymous||false|false|access_denied');
    expect(auth.error.value).toBe(denied);
    fake.client.login = async () => {
      throw new Error('provider unreachable');
    };
    await expect(auth.login()).resolves.toBeUndefined();
    await nextTick();
    expect(root.textContent).toBe('anonymous||false|false|provider unreachable');
    fake.client.login = async () => undefined;
    await auth.login();
    await nextTick();
    expect(auth.error.value).toBeUndefined();
    expect(root.textContent).toBe('anonymous||false|false|');
  });

  it('stops following the client and never navigates once the app is unmounted during a pending redirect', async () => {
    const fake = fakeClient();
    const seen: unknown[] = [];
    const app = createApp(Status).use(createAuth(fake.client, { onRedirect: (r) => void seen.push(r) }));
    mount(app);
    expect(fake.listeners.size).toBe(1);
    app.unmount();
    expect(fake.listeners.size).toBe(0);
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/account' });
    await flush();
    expect(seen).toEqual([]);
  });

  it('useAuth() outside the plugin says what is missing', () => {
    const app = createApp(Status);
    expect(() => mount(app)).toThrow(/createAuth/);
  });

  it('shows the user with standard claims of the wrong type left out, the same object while the user is', async () => {
    const user = { sub: 'ada', name: 42, phone_number_verified: 1, address: 'Paris', tenant: 'acme' };
    const signedIn: AuthState = Object.freeze({ status: 'authenticated', user, expiresAt: Date.now() + 60_000 });
    const fake = fakeClient(signedIn);
    let auth!: UseAuth<{ tenant: string }>;
    const Name = defineComponent({
      setup() {
        auth = useAuth<{ tenant: string }>();
        return () => h('p', auth.user.value?.name ?? `no name, ${auth.user.value?.tenant}`);
      },
    });
    const root = mount(createApp(Name).use(createAuth(fake.client)));
    expect(root.textContent).toBe('no name, acme');
    const shown = auth.user.value;
    expect(shown).toEqual({ sub: 'ada', tenant: 'acme' });
    expect(shown?.name).toBeUndefined();
    expect(shown).toBe(standardClaims(user));
    // A new state (a refresh) with the same user: the same user object.
    fake.set(Object.freeze({ ...signedIn, expiresAt: Date.now() + 120_000 }));
    expect(auth.state.value).not.toBe(signedIn);
    expect(auth.user.value).toBe(shown);
  });

  it('types the user: standard claims, custom claims from the type parameter, the rest unknown', () => {
    expectTypeOf(() => useAuth().user.value).returns.toEqualTypeOf<UserClaims | undefined>();
    type User = NonNullable<UseAuth<{ tenant: string }>['user']['value']>;
    expectTypeOf(() => useAuth<{ tenant: string }>().user.value).returns.toEqualTypeOf<User | undefined>();
    expectTypeOf<User['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<User['email_verified']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<User['tenant']>().toEqualTypeOf<string>();
    expectTypeOf<User['department']>().toEqualTypeOf<unknown>();
  });

  it('provides the same object to useAuth() and $auth', () => {
    const fake = fakeClient(ANONYMOUS);
    const app = createApp(Status).use(createAuth(fake.client));
    expect(app.config.globalProperties.$auth).toBe(app._context.provides[AUTH_KEY as symbol]);
  });
});

describe('with vue-router', () => {
  const routes = [
    { path: '/', component: { render: () => h('p', 'home') } },
    { path: '/account', component: { render: () => h('p', 'account') }, meta: { requiresAuth: true } },
  ];

  it('keeps the response parameters out of every route, then goes to returnTo after the login', async () => {
    history.replaceState(null, '', '/app/?code=abc&state=xyz&keep=1');
    const router = createRouter({ history: createWebHistory('/app/'), routes });
    const visited: string[] = [];
    router.afterEach((to) => void visited.push(to.fullPath));
    const fake = fakeClient();
    // What the core does synchronously: clean the address bar.
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (history.replaceState(history.state, '', '/app/?keep=1'), handleRedirect());
    mount(createApp(RouterView).use(router).use(createAuth(fake.client)));
    await flush();
    expect(location.href).not.toMatch(/code|state/);
    fake.set(ada());
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/app/account' });
    await router.isReady();
    await flush();
    expect(router.currentRoute.value.fullPath).toBe('/account');
    expect(location.pathname).toBe('/app/account');
    expect(visited.join()).not.toMatch(/code|state/);
  });

  it('drops what the SDK removed a moment later (a logout return), keeping the app’s own parameters', async () => {
    history.replaceState(null, '', '/app/?state=xyz&keep=1');
    const router = createRouter({ history: createWebHistory('/app/'), routes });
    const fake = fakeClient(ANONYMOUS);
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => {
      setTimeout(() => {
        history.replaceState(history.state, '', '/app/?keep=1');
        fake.settle.resolve({ kind: 'logout' });
      }, 10);
      return handleRedirect();
    };
    mount(createApp(RouterView).use(router).use(createAuth(fake.client)));
    await router.isReady();
    await flush();
    expect(router.currentRoute.value.fullPath).toBe('/?keep=1');
    expect(location.pathname + location.search).toBe('/app/?keep=1');
  });

  it('finds a router installed after the plugin', async () => {
    history.replaceState(null, '', '/app/?code=abc&state=xyz');
    const router = createRouter({ history: createWebHistory('/app/'), routes });
    const fake = fakeClient();
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (history.replaceState(history.state, '', '/app/'), handleRedirect());
    mount(createApp(RouterView).use(createAuth(fake.client)).use(router));
    fake.settle.reject(new Error('access_denied'));
    await router.isReady();
    expect(router.currentRoute.value.fullPath).toBe('/');
    expect(location.href).not.toMatch(/code|state/);
  });

  it('takes the router as an option (a real vue-router Router fits RouterLike)', async () => {
    history.replaceState(null, '', '/app/?code=abc&state=xyz');
    const router = createRouter({ history: createWebHistory('/app/'), routes });
    const fake = fakeClient();
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (history.replaceState(history.state, '', '/app/'), handleRedirect());
    // Installed long before the router, which the plugin could not find on the app.
    const app = createApp(RouterView).use(createAuth(fake.client, { router }));
    await flush();
    app.use(router);
    mount(app);
    fake.set(ada());
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/app/account' });
    await router.isReady();
    await flush();
    expect(router.currentRoute.value.fullPath).toBe('/account');
  });

  it('the guard waits while loading, then starts one login back to the route (under the base) and cancels', async () => {
    const router = createRouter({ history: createWebHistory('/app/'), routes });
    const fake = fakeClient();
    router.beforeEach(createAuthGuard(fake.client));
    mount(createApp(RouterView).use(router).use(createAuth(fake.client)));
    await router.isReady();
    fake.settle.resolve({ kind: 'none' });
    const navigation = router.push('/account?tab=1');
    await flush();
    expect(fake.calls.login).toEqual([]);
    expect(router.currentRoute.value.fullPath).toBe('/');
    fake.set(ANONYMOUS);
    await navigation;
    expect(fake.calls.login).toEqual([{ returnTo: '/app/account?tab=1' }]);
    expect(router.currentRoute.value.fullPath).toBe('/');
  });

  it('the guard lets a signed-in user through and ignores routes without meta.requiresAuth', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes });
    const fake = fakeClient(ANONYMOUS);
    fake.settle.resolve({ kind: 'none' });
    router.beforeEach(createAuthGuard(fake.client));
    mount(createApp(RouterView).use(router).use(createAuth(fake.client)));
    await router.push('/');
    expect(router.currentRoute.value.fullPath).toBe('/');
    fake.set(ada());
    await router.push('/account');
    expect(router.currentRoute.value.fullPath).toBe('/account');
    expect(fake.calls.login).toEqual([]);
  });

  it("protect: 'all' guards every route but those with requiresAuth: false", async () => {
    const fake = fakeClient(ANONYMOUS);
    fake.settle.resolve({ kind: 'none' });
    const guardAll = createAuthGuard(fake.client, { protect: 'all' });
    const route = (meta: Record<string, unknown>) => ({ fullPath: '/x', path: '/x', hash: '', query: {}, meta });
    expect(guardAll(route({ requiresAuth: false }))).toBe(true);
    await expect(guardAll(route({}))).resolves.toBe(false);
    expect(fake.calls.login).toEqual([{ returnTo: '/x' }]);
  });

  it('the guard never starts a login right after this page’s callback failed', async () => {
    const fake = fakeClient();
    const guardAll = createAuthGuard(fake.client, { protect: 'all' });
    mount(createApp(Status).use(createAuth(fake.client)));
    fake.settle.reject(new Error('invalid_id_token'));
    fake.set(ANONYMOUS);
    await expect(guardAll({ fullPath: '/', path: '/', hash: '', query: {}, meta: {} })).resolves.toBe(false);
    expect(fake.calls.login).toEqual([]);
  });

  it('concurrent guarded navigations start a single login', async () => {
    const fake = fakeClient();
    fake.settle.resolve({ kind: 'none' });
    const guardAll = createAuthGuard(fake.client, { protect: 'all' });
    const route = { fullPath: '/a', path: '/a', hash: '', query: {}, meta: {} };
    const both = Promise.all([guardAll(route), guardAll(route)]);
    await flush();
    expect(fake.calls.login).toEqual([]);
    fake.set(ANONYMOUS);
    expect(await both).toEqual([false, false]);
    expect(fake.calls.login).toHaveLength(1);
  });
});
