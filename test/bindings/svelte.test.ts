// @vitest-environment happy-dom
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { authStore, requireAuth, standardClaims, type AuthSnapshot, type AuthStore, type UserClaims } from '../../src/bindings/svelte.js';
import type { AuthState } from '../../src/client/state-hub.js';
import type { SessionClient } from '../../src/bindings/session-client.js';
import { loadComponent, svelteModule } from '../frameworks/svelte/compile-component.js';
import { ANONYMOUS, LOADING, ada, fakeClient, flush } from './fake-client.js';


afterEach(() => history.replaceState(null, '', '/'));

describe('authStore', () => {
  it('keeps the store contract: the value at once, every change, and unsubscribe', () => {
    const fake = fakeClient();
    const auth = authStore(fake.client, { onRedirect: () => undefined });
    const values: AuthSnapshot[] = [];
    const stop = auth.subscribe((value) => values.push(value));
    expect(values).toHaveLength(1);
    expect(values[0]).toMatchObject({ state: LOADING, user: undefined, isLoading: true, isAuthenticated: false, error: undefined });
    const signedIn = ada();
    fake.set(signedIn);
    expect(values).toHaveLength(2);
    expect(values[1]).toMatchObject({ state: signedIn, user: { name: 'Ada' }, isLoading: false, isAuthenticated: true });
    expect(Object.isFrozen(values[1])).toBe(true);
    stop();
    expect(fake.listeners.size).toBe(0);
    fake.set(ANONYMOUS);
    expect(values).toHaveLength(2);
  });

  it('shows the user with standard claims of the wrong type left out, the same object while the user is', () => {
    const user = { sub: 'ada', name: 42, updated_at: '1700000000', address: { country: 'FR', region: null }, tenant: 'acme' };
    const signedIn: AuthState = Object.freeze({ status: 'authenticated', user, expiresAt: Date.now() + 60_000 });
    const fake = fakeClient(signedIn);
    const auth = authStore<{ tenant: string }>(fake.client, { onRedirect: () => undefined });
    const values: Array<AuthSnapshot<{ tenant: string }>> = [];
    const stop = auth.subscribe((value) => values.push(value));
    const shown = values.at(-1)!.user;
    expect(shown).toEqual({ sub: 'ada', address: { country: 'FR' }, tenant: 'acme' });
    expect(shown?.name).toBeUndefined();
    expect(shown?.tenant).toBe('acme');
    expect(shown).toBe(standardClaims(user));
    // A new state (a refresh) with the same user: a new value, the same user object.
    fake.set(Object.freeze({ ...signedIn, expiresAt: Date.now() + 120_000 }));
    expect(values).toHaveLength(2);
    expect(values[1]!.user).toBe(shown);
    stop();
  });

  it('types the user: standard claims, custom claims from the type parameter, the rest unknown', () => {
    expectTypeOf<AuthSnapshot['user']>().toEqualTypeOf<UserClaims | undefined>();
    expectTypeOf(authStore<{ tenant: string }>).returns.toEqualTypeOf<AuthStore<{ tenant: string }>>();
    type User = NonNullable<AuthSnapshot<{ tenant: string }>['user']>;
    expectTypeOf<Parameters<Parameters<AuthStore<{ tenant: string }>['subscribe']>[0]>[0]['user']>().toEqualTypeOf<User | undefined>();
    expectTypeOf<User['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<User['email_verified']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<User['tenant']>().toEqualTypeOf<string>();
    expectTypeOf<User['department']>().toEqualTypeOf<unknown>();
    // A store with custom claims is still a store for requireAuth().
    expectTypeOf(requireAuth).toBeCallableWith({} as AuthStore<{ tenant: string }>);
  });

  it('follows the client once however many subscribers, and stops after the last', () => {
    const fake = fakeClient(ANONYMOUS);
    const auth = authStore(fake.client);
    const a = auth.subscribe(() => undefined);
    const b = auth.subscribe(() => undefined);
    expect(fake.listeners.size).toBe(1);
    a();
    a();
    expect(fake.listeners.size).toBe(1);
    b();
    expect(fake.listeners.size).toBe(0);
    // And again: a new subscriber gets the current state.
    fake.set(ada());
    let seen: AuthSnapshot | undefined;
    const c = auth.subscribe((value) => (seen = value));
    expect(seen?.isAuthenticated).toBe(true);
    c();
  });

  it('handles the redirect before reading the state, once for two stores, and calls onRedirect once', async () => {
    const fake = fakeClient();
    const order: string[] = [];
    const subscribe = fake.client.subscribe;
    fake.client.subscribe = (listener) => (order.push('subscribe'), subscribe(listener));
    const handleRedirect = fake.client.handleRedirect;
    fake.client.handleRedirect = () => (order.push('redirect'), handleRedirect());
    const seen: unknown[] = [];
    const first = authStore(fake.client, { onRedirect: (result) => void seen.push(result) });
    const second = authStore(fake.client, { onRedirect: (result) => void seen.push(['second', result]) });
    first.subscribe(() => undefined);
    second.subscribe(() => undefined);
    expect(order).toEqual(['redirect', 'subscribe', 'subscribe']);
    expect(fake.calls.handleRedirect).toBe(1);
    const result = { kind: 'login', user: { sub: 'ada' }, returnTo: '/account' } as const;
    fake.settle.resolve(result);
    await flush();
    expect(seen).toEqual([result]);
  });

  it('by default replaces the URL with returnTo after a login', async () => {
    const fake = fakeClient();
    authStore(fake.client);
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/account?tab=2' });
    await flush();
    expect(location.pathname + location.search).toBe('/account?tab=2');
  });

  it('shows a failed callback as error until login() is called; login() never rejects', async () => {
    const fake = fakeClient();
    const auth = authStore(fake.client);
    let value!: AuthSnapshot;
    auth.subscribe((next) => (value = next));
    const denied = new Error('access_denied');
    fake.settle.reject(denied);
    fake.set(ANONYMOUS);
    await flush();
    expect(value.error).toBe(denied);
    // A second store of the same client shows the same error.
    let other!: AuthSnapshot;
    authStore(fake.client).subscribe((next) => (other = next));
    expect(other.error).toBe(denied);
    fake.client.login = () => Promise.reject(new Error('unreachable'));
    await expect(auth.login()).resolves.toBeUndefined();
    expect(value.error?.message).toBe('unreachable');
    fake.client.login = async () => undefined;
    await auth.login();
    expect(value.error).toBeUndefined();
    expect(other.error).toBeUndefined();
  });

  it('passes getAccessToken() and getUser() through', async () => {
    const fake = fakeClient(ada());
    const auth = authStore(fake.client);
    await expect(auth.getAccessToken()).resolves.toBe('token');
    await expect(auth.getUser()).resolves.toMatchObject({ sub: 'ada' });
  });

  it('rejects what is not a client', () => {
    expect(() => authStore({} as SessionClient)).toThrow(/expected a client/);
  });
});

describe('requireAuth', () => {
  it('waits while loading, then starts one login for concurrent callers and resolves false', async () => {
    const fake = fakeClient();
    fake.settle.resolve({ kind: 'none' });
    const both = Promise.all([requireAuth(fake.client, '/account'), requireAuth(authStore(fake.client), '/account')]);
    await flush();
    expect(fake.calls.login).toEqual([]);
    fake.set(ANONYMOUS);
    expect(await both).toEqual([false, false]);
    expect(fake.calls.login).toEqual([{ returnTo: '/account' }]);
  });

  it('resolves true when signed in, and defaults returnTo to the current page', async () => {
    const fake = fakeClient(ada());
    fake.settle.resolve({ kind: 'none' });
    await expect(requireAuth(fake.client)).resolves.toBe(true);
    fake.set(ANONYMOUS);
    history.replaceState(null, '', '/orders?page=2#top');
    await expect(requireAuth(fake.client)).resolves.toBe(false);
    expect(fake.calls.login).toEqual([{ returnTo: '/orders?page=2#top' }]);
  });

  it('waits for the redirect: a callback being redeemed never starts a login', async () => {
    const fake = fakeClient(ANONYMOUS);
    const pending = requireAuth(fake.client, '/account');
    await flush();
    expect(fake.calls.login).toEqual([]);
    fake.set(ada());
    fake.settle.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/account' });
    await expect(pending).resolves.toBe(true);
    expect(fake.calls.login).toEqual([]);
  });

  it('never starts a login right after this page’s callback failed, until the user starts one', async () => {
    const fake = fakeClient();
    const auth = authStore(fake.client);
    fake.settle.reject(new Error('invalid_id_token'));
    fake.set(ANONYMOUS);
    await expect(requireAuth(auth, '/account')).resolves.toBe(false);
    expect(fake.calls.login).toEqual([]);
    await auth.login();
    await expect(requireAuth(auth, '/account')).resolves.toBe(false);
    expect(fake.calls.login).toEqual([undefined, { returnTo: '/account' }]);
  });
});

describe('a compiled Svelte 5 component (runes mode)', () => {
  it('renders $auth and fromStore(auth) and updates with the client', async () => {
    const Status = await loadComponent(
      `<script>
        import { fromStore } from 'svelte/store';
        let { auth } = $props();
        const session = fromStore(auth);
      </script>
      <p>{$auth.state.status}|{session.current.user?.name ?? ''}|{$auth.isLoading}</p>`,
      'client',
    );
    const { mount, unmount, flushSync } = (await import(/* @vite-ignore */ svelteModule('client', 'svelte'))) as typeof import('svelte');
    const fake = fakeClient();
    const auth = authStore(fake.client);
    const target = document.createElement('div');
    const component = mount(Status as never, { target, props: { auth } });
    flushSync();
    expect(target.textContent).toBe('loading||true');
    fake.set(ada());
    flushSync();
    expect(target.textContent).toBe('authenticated|Ada|false');
    await unmount(component);
    expect(fake.listeners.size).toBe(0);
  });
});
