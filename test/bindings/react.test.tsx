// @vitest-environment happy-dom
// The React binding against a fake client: the redirect handled once per page whatever StrictMode does,
// the guard's one login only when really anonymous, errors kept, hydration of a server render.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { Component, StrictMode, act, startTransition, useLayoutEffect, useState, type ReactNode } from 'react';
import { createRoot, hydrateRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import {
  AuthProvider,
  RequireAuth,
  standardClaims,
  useAuth,
  withAuthenticationRequired,
  type AuthContextValue,
  type LoginRedirect,
  type StandardClaims,
  type UserClaims,
} from '../../src/bindings/react.js';
import type { AuthState } from '../../src/client/state-hub.js';
import { ANONYMOUS, FakeClient, LOADING, authenticated } from './react-fake-client.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root | undefined;
let consoleErrors: unknown[][];

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  consoleErrors = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void consoleErrors.push(args));
  history.replaceState(null, '', '/start?x=1#top');
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  container.remove();
  vi.restoreAllMocks();
});

async function render(node: ReactNode, strict = true): Promise<void> {
  root = createRoot(container);
  await act(async () => root!.render(strict ? <StrictMode>{node}</StrictMode> : node));
}

/** Lets pending promise reactions and the renders they cause run. */
const flush = () => act(async () => void (await new Promise((resolve) => setTimeout(resolve, 0))));

function Status() {
  const { state, error } = useAuth();
  return (
    <p data-status={state.status}>
      {state.status}
      {error ? ` error: ${error.message}` : ''}
    </p>
  );
}

const text = () => container.textContent;

describe('AuthProvider', () => {
  it('calls handleRedirect once under StrictMode and hands a login result to onRedirect once', async () => {
    const client = new FakeClient(LOADING, true);
    const onRedirect = vi.fn();
    await render(
      <AuthProvider client={client} onRedirect={onRedirect}>
        <Status />
      </AuthProvider>,
    );
    expect(client.handleRedirect).toHaveBeenCalledTimes(1);
    expect(text()).toBe('loading');
    const result: LoginRedirect = { kind: 'login', user: { sub: 'ada' }, returnTo: '/account?tab=2' };
    await act(async () => {
      client.set(authenticated());
      client.redirect.resolve(result);
    });
    await flush();
    expect(onRedirect).toHaveBeenCalledTimes(1);
    expect(onRedirect).toHaveBeenCalledWith(result);
    expect(text()).toBe('authenticated');
    expect(client.handleRedirect).toHaveBeenCalledTimes(1);
    expect(consoleErrors).toEqual([]);
  });

  it('without onRedirect, replaces the address bar with returnTo (no navigation, no new entry)', async () => {
    const client = new FakeClient(LOADING, true);
    const length = history.length;
    await render(<AuthProvider client={client}>{null}</AuthProvider>);
    await act(async () => client.redirect.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/account?tab=2#x' }));
    await flush();
    expect(location.pathname + location.search + location.hash).toBe('/account?tab=2#x');
    expect(history.length).toBe(length);
  });

  it('does nothing with a logout return or an ordinary page', async () => {
    for (const result of [{ kind: 'logout' }, { kind: 'none' }] as const) {
      const client = new FakeClient(ANONYMOUS, true);
      const onRedirect = vi.fn();
      await render(<AuthProvider client={client} onRedirect={onRedirect}>{null}</AuthProvider>);
      await act(async () => client.redirect.resolve(result));
      await flush();
      expect(onRedirect).not.toHaveBeenCalled();
      expect(location.pathname + location.search + location.hash).toBe('/start?x=1#top');
      await act(async () => root?.unmount());
      root = undefined;
    }
  });

  it('keeps a rejected redirect as error; login() clears it and a later sign-in too', async () => {
    const client = new FakeClient(LOADING, true);
    let auth!: AuthContextValue;
    function Grab() {
      auth = useAuth();
      return null;
    }
    await render(
      <AuthProvider client={client}>
        <Status />
        <Grab />
      </AuthProvider>,
    );
    const failure = Object.assign(new Error('the user said no'), { code: 'oauth_error' });
    await act(async () => {
      client.set(ANONYMOUS);
      client.redirect.reject(failure);
    });
    await flush();
    expect(text()).toBe('anonymous error: the user said no');
    expect(auth.error).toBe(failure);

    // Retry: the error goes away as soon as a new login starts...
    await act(async () => void (await auth.login()));
    expect(auth.error).toBeUndefined();
    expect(client.login).toHaveBeenCalledTimes(1);

    // ...and a failed login is kept as error too, and the promise resolves (a click has no caller to catch it).
    const offline = new Error('provider unreachable');
    client.login.mockRejectedValueOnce(offline);
    await act(async () => expect(auth.login()).resolves.toBeUndefined());
    expect(auth.error).toBe(offline);
    // So is a failed logout (the session is ended locally all the same).
    const storageBlocked = new Error('storage is unavailable');
    client.logout.mockRejectedValueOnce(storageBlocked);
    await act(async () => expect(auth.logout()).resolves.toBeUndefined());
    expect(auth.error).toBe(storageBlocked);
    await act(async () => client.set(authenticated()));
    expect(auth.error).toBeUndefined();
  });

  it('a handleRedirect that throws synchronously is kept as error too', async () => {
    const client = new FakeClient(ANONYMOUS);
    client.handleRedirect.mockImplementation(() => {
      throw new Error('boom');
    });
    await render(
      <AuthProvider client={client}>
        <Status />
      </AuthProvider>,
    );
    await flush();
    expect(text()).toBe('anonymous error: boom');
  });

  it('an unmount while the redirect is pending delivers nothing, a remount does not deliver twice', async () => {
    const client = new FakeClient(LOADING, true);
    const first = vi.fn();
    await render(<AuthProvider client={client} onRedirect={first}>{null}</AuthProvider>);
    await act(async () => root?.unmount());
    root = undefined;
    await act(async () => client.redirect.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/a' }));
    await flush();
    expect(first).not.toHaveBeenCalled();
    expect(consoleErrors).toEqual([]);

    // The page's result was never delivered: the next provider for this client gets it, once.
    const second = vi.fn();
    await render(<AuthProvider client={client} onRedirect={second}>{null}</AuthProvider>);
    await flush();
    expect(second).toHaveBeenCalledTimes(1);
    await act(async () => root?.unmount());
    const third = vi.fn();
    await render(<AuthProvider client={client} onRedirect={third}>{null}</AuthProvider>);
    await flush();
    expect(third).not.toHaveBeenCalled();
    expect(client.handleRedirect).toHaveBeenCalledTimes(1);
  });

  it('uses the latest onRedirect without handling the redirect again', async () => {
    const client = new FakeClient(LOADING, true);
    const calls: string[] = [];
    function App() {
      const [n, setN] = useState(0);
      return (
        <AuthProvider client={client} onRedirect={() => calls.push(`v${n}`)}>
          <button onClick={() => setN((x) => x + 1)}>bump</button>
        </AuthProvider>
      );
    }
    await render(<App />);
    await act(async () => container.querySelector('button')!.click());
    await act(async () => client.redirect.resolve({ kind: 'login', user: { sub: 'ada' }, returnTo: '/a' }));
    await flush();
    expect(calls).toEqual(['v1']);
    expect(client.handleRedirect).toHaveBeenCalledTimes(1);
  });

  it('follows rapid state changes and keeps the functions stable', async () => {
    const client = new FakeClient(LOADING);
    const seen: AuthContextValue[] = [];
    function Grab() {
      seen.push(useAuth());
      return null;
    }
    await render(
      <AuthProvider client={client}>
        <Status />
        <Grab />
      </AuthProvider>,
    );
    await act(async () => {
      client.set(ANONYMOUS);
      client.set(authenticated('ada'));
      client.set(ANONYMOUS);
      client.set(authenticated('grace'));
    });
    expect(text()).toBe('authenticated');
    const last = seen.at(-1)!;
    expect(last.user).toEqual({ sub: 'grace' });
    expect(last.isAuthenticated).toBe(true);
    expect(last.isLoading).toBe(false);
    expect(last.client).toBe(client);
    for (const key of ['login', 'logout', 'getAccessToken', 'getUser'] as const) {
      expect(new Set(seen.map((value) => value[key])).size, key).toBe(1);
    }
    await act(async () => void (await last.getAccessToken({ forceRefresh: true })));
    expect(client.getAccessToken).toHaveBeenCalledWith({ forceRefresh: true });
  });

  it('never tears under concurrent rendering: a state change inside startTransition, mid-render, shows one state per commit', async () => {
    // Three providers of one client (a layout, a widget...) over slow children: the transition's render
    // is time-sliced, and the client's state changes between two slices, the first provider rendered.
    const client = new FakeClient(ANONYMOUS);
    const PROVIDERS = 3;
    const LEAVES = 4;
    let setTick!: (tick: number) => void;
    let transitionRenders = 0;
    let renderedBeforeChange: number | undefined;
    /** Per commit, the states on screen: one, or the commit tore. */
    const commits: string[][] = [];
    const onScreen = () => [...new Set([...container.querySelectorAll('[data-seen]')].map((el) => el.getAttribute('data-seen') ?? ''))];
    function Leaf({ tick }: { tick: number }) {
      const { state } = useAuth();
      if (tick === 1 && transitionRenders++ === 0) {
        setTimeout(() => {
          renderedBeforeChange = transitionRenders;
          startTransition(() => client.set(authenticated('grace')));
        });
      }
      const until = performance.now() + 3;
      while (performance.now() < until) {
        // A slow component: React yields to the event loop between such renders.
      }
      return <i data-seen={state.status === 'authenticated' ? state.user.sub : state.status} />;
    }
    function Commit({ tick }: { tick: number }) {
      useAuth();
      useLayoutEffect(() => void commits.push(onScreen()));
      return <b data-tick={tick} />;
    }
    function App() {
      const [tick, set] = useState(0);
      setTick = set;
      return Array.from({ length: PROVIDERS }, (_, p) => (
        <AuthProvider key={p} client={client}>
          {Array.from({ length: LEAVES }, (_, l) => <Leaf key={l} tick={tick} />)}
          <Commit tick={tick} />
        </AuthProvider>
      ));
    }
    await render(<App />, false);
    expect(onScreen()).toEqual(['anonymous']);
    commits.length = 0;
    // Outside act(): the scheduler really yields, as in a browser.
    const scope = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
    scope.IS_REACT_ACT_ENVIRONMENT = false;
    try {
      startTransition(() => setTick(1));
      await vi.waitFor(() => {
        expect(container.querySelectorAll('[data-tick="1"]')).toHaveLength(PROVIDERS);
        expect(onScreen()).toEqual(['grace']);
      });
    } finally {
      scope.IS_REACT_ACT_ENVIRONMENT = true;
    }
    // The change did land in the middle of the transition's render...
    expect(renderedBeforeChange).toBeGreaterThan(0);
    expect(renderedBeforeChange).toBeLessThan(PROVIDERS * LEAVES);
    // ...and no commit showed two states at once.
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.filter((states) => states.length !== 1)).toEqual([]);
  });

  it('shows the user with standard claims of the wrong type left out, the same object while the user is', async () => {
    const user = { sub: 'ada', name: 42, email: 'ada@example.com', email_verified: 'yes', tenant: 'acme' };
    const signedIn: AuthState = Object.freeze({ status: 'authenticated', user, expiresAt: Date.now() + 60_000 });
    const client = new FakeClient(signedIn);
    const seen: Array<AuthContextValue<{ tenant: string }>['user']> = [];
    function Name() {
      const { user } = useAuth<{ tenant: string }>();
      seen.push(user);
      return <p>{user?.name ?? 'no name'}</p>;
    }
    await render(
      <AuthProvider client={client}>
        <Name />
      </AuthProvider>,
    );
    expect(text()).toBe('no name');
    const shown = seen.at(-1)!;
    expect(shown).toEqual({ sub: 'ada', email: 'ada@example.com', tenant: 'acme' });
    expect(shown.name).toBeUndefined();
    expect(shown).toBe(standardClaims(user));
    // A new state (a refresh) with the same user: the same user object, so memoised children stay put.
    await act(async () => client.set(Object.freeze({ ...signedIn, expiresAt: Date.now() + 120_000 })));
    expect(seen.length).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(1);
  });

  it('types the user: standard claims, custom claims from the type parameter, the rest unknown', () => {
    expectTypeOf(() => useAuth()).returns.toHaveProperty('user').toEqualTypeOf<UserClaims | undefined>();
    expectTypeOf<AuthContextValue['user']>().toEqualTypeOf<UserClaims | undefined>();
    expectTypeOf<AuthContextValue['user']>().toExtend<StandardClaims | undefined>();
    type User = NonNullable<ReturnType<typeof useAuth<{ tenant: string }>>['user']>;
    expectTypeOf<User['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<User['email_verified']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<User['tenant']>().toEqualTypeOf<string>();
    expectTypeOf<User['department']>().toEqualTypeOf<unknown>();
  });

  it('hydrates a server render without mismatch, then shows the client state', async () => {
    const client = new FakeClient(authenticated());
    const app = (
      <StrictMode>
        <AuthProvider client={client}>
          <Status />
          <RequireAuth fallback={<p>wait</p>}>
            <p>protected</p>
          </RequireAuth>
        </AuthProvider>
      </StrictMode>
    );
    container.innerHTML = renderToString(app);
    expect(text()).toBe('loadingwait');
    const recoverable: unknown[] = [];
    await act(async () => {
      root = hydrateRoot(container, app, { onRecoverableError: (error) => void recoverable.push(error) });
    });
    await flush();
    expect(recoverable).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(text()).toBe('authenticatedprotected');
  });
});

describe('useAuth', () => {
  it('throws a clear error outside <AuthProvider>', async () => {
    class Boundary extends Component<{ children: ReactNode }, { message?: string }> {
      override state: { message?: string } = {};
      static getDerivedStateFromError(error: Error) {
        return { message: error.message };
      }
      override render() {
        return this.state.message ?? this.props.children;
      }
    }
    function Orphan() {
      useAuth();
      return <p>rendered</p>;
    }
    await render(
      <Boundary>
        <Orphan />
      </Boundary>,
    );
    expect(text()).toBe('useAuth() needs an <AuthProvider client={...}> above this component (oidc-session/react)');
  });
});

describe('RequireAuth', () => {
  it('starts one login under StrictMode with the current path, query and hash, and shows the fallback', async () => {
    const client = new FakeClient(ANONYMOUS);
    await render(
      <AuthProvider client={client}>
        <RequireAuth fallback={<p>redirecting</p>}>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    await flush();
    expect(client.login).toHaveBeenCalledTimes(1);
    expect(client.login).toHaveBeenCalledWith({ returnTo: '/start?x=1#top' });
    expect(text()).toBe('redirecting');
  });

  it('never logs in while loading; once the state turns anonymous, logs in once', async () => {
    const client = new FakeClient(LOADING, true);
    await render(
      <AuthProvider client={client}>
        <RequireAuth fallback={<p>wait</p>}>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    await flush();
    await act(async () => client.redirect.resolve({ kind: 'none' }));
    await flush();
    expect(client.login).not.toHaveBeenCalled();
    expect(text()).toBe('wait');
    await act(async () => client.set(ANONYMOUS));
    await flush();
    expect(client.login).toHaveBeenCalledTimes(1);
  });

  it('renders the children for a signed-in user, and never logs in on the way from loading', async () => {
    const client = new FakeClient(LOADING);
    await render(
      <AuthProvider client={client}>
        <RequireAuth fallback={<p>wait</p>}>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    // anonymous for an instant only: React renders the last state.
    await act(async () => {
      client.set(ANONYMOUS);
      client.set(authenticated());
    });
    await flush();
    expect(text()).toBe('protected');
    expect(client.login).not.toHaveBeenCalled();
  });

  it('several guards on a page start one login; withAuthenticationRequired passes props and options', async () => {
    const client = new FakeClient(ANONYMOUS);
    const Page = withAuthenticationRequired(({ name }: { name: string }) => <p>hello {name}</p>, {
      fallback: <p>guarded</p>,
      returnTo: () => '/chosen',
      params: { prompt: 'login' },
    });
    expect(Page.displayName).toMatch(/^withAuthenticationRequired\(/);
    await render(
      <AuthProvider client={client}>
        <Page name="ada" />
        <RequireAuth>
          <p>other</p>
        </RequireAuth>
      </AuthProvider>,
    );
    await flush();
    expect(client.login).toHaveBeenCalledTimes(1);
    expect(client.login).toHaveBeenCalledWith({ returnTo: '/chosen', params: { prompt: 'login' } });
    expect(text()).toBe('guarded');
    await act(async () => client.set(authenticated()));
    expect(text()).toBe('hello adaother');
  });

  it('does not log in while the redirect failed; the fallback can retry', async () => {
    const client = new FakeClient(LOADING, true);
    function Fallback() {
      const { error, login } = useAuth();
      return error ? <button onClick={() => void login()}>{error.message}</button> : <p>wait</p>;
    }
    await render(
      <AuthProvider client={client}>
        <RequireAuth fallback={<Fallback />}>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    await act(async () => {
      client.set(ANONYMOUS);
      client.redirect.reject(new Error('access_denied'));
    });
    await flush();
    expect(text()).toBe('access_denied');
    expect(client.login).not.toHaveBeenCalled();
    await act(async () => container.querySelector('button')!.click());
    await flush();
    expect(client.login).toHaveBeenCalledTimes(1);
  });

  it('a new client given to the provider: its guard waits for its own redirect', async () => {
    const first = new FakeClient(ANONYMOUS);
    const second = new FakeClient(ANONYMOUS, true);
    const tree = (client: FakeClient) => (
      <StrictMode>
        <AuthProvider client={client}>
          <RequireAuth>
            <p>protected</p>
          </RequireAuth>
        </AuthProvider>
      </StrictMode>
    );
    await render(tree(first), false);
    await flush();
    expect(first.login).toHaveBeenCalledTimes(1);
    await act(async () => root!.render(tree(second)));
    await flush();
    expect(second.handleRedirect).toHaveBeenCalledTimes(1);
    expect(second.login).not.toHaveBeenCalled();
    await act(async () => second.redirect.resolve({ kind: 'none' }));
    await flush();
    expect(second.login).toHaveBeenCalledTimes(1);
  });

  it('a failed login is kept as error and not retried in a loop', async () => {
    const client = new FakeClient(ANONYMOUS);
    client.login.mockRejectedValue(new Error('provider unreachable'));
    await render(
      <AuthProvider client={client}>
        <Status />
        <RequireAuth>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    await flush();
    await flush();
    expect(text()).toBe('anonymous error: provider unreachable');
    expect(client.login).toHaveBeenCalledTimes(1);
  });

  it("does not log in when this tab's own logout makes the state anonymous, but does after an expiry", async () => {
    const client = new FakeClient(authenticated());
    let auth!: AuthContextValue;
    function Grab() {
      auth = useAuth();
      return null;
    }
    await render(
      <AuthProvider client={client}>
        <Grab />
        <RequireAuth>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    // Logout through the client directly: the state changes, then the event says it was this tab's user.
    await act(async () => {
      client.set(ANONYMOUS);
      client.emit('logout', { reason: 'user', remote: false });
    });
    await flush();
    expect(client.login).not.toHaveBeenCalled();

    // Signed in again, then the provider ends the session: the guard sends the user to log in.
    await act(async () => client.set(authenticated()));
    await act(async () => {
      client.set(ANONYMOUS);
      client.emit('logout', { reason: 'expired', remote: false });
    });
    await flush();
    expect(client.login).toHaveBeenCalledTimes(1);

    // And the binding's logout() holds the guards before the client changes anything.
    const other = new FakeClient(authenticated());
    await act(async () => root?.unmount());
    await render(
      <AuthProvider client={other}>
        <Grab />
        <RequireAuth>
          <p>protected</p>
        </RequireAuth>
      </AuthProvider>,
    );
    await act(async () => {
      void auth.logout();
      other.set(ANONYMOUS);
    });
    await flush();
    expect(other.logout).toHaveBeenCalledTimes(1);
    expect(other.login).not.toHaveBeenCalled();
  });
});
