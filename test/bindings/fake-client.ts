// The client the Vue, Svelte and Angular binding tests drive: its state and redirect are set by the
// test, and it counts what the binding calls. (React's tests have their own, with vi.fn methods.)
import type { LoginOptions, RedirectResult } from '../../src/client/client.js';
import type { SessionClient } from '../../src/bindings/session-client.js';
import type { AuthState, StateListener } from '../../src/client/state-hub.js';

export const LOADING: AuthState = Object.freeze({ status: 'loading' });
export const ANONYMOUS: AuthState = Object.freeze({ status: 'anonymous' });
export const ada = (): AuthState => Object.freeze({ status: 'authenticated', user: { sub: 'ada', name: 'Ada' }, expiresAt: Date.now() + 60_000 });

/** A client whose state and redirect the test drives; it counts what the binding calls. */
export function fakeClient(initial: AuthState = LOADING) {
  let state = initial;
  const listeners = new Set<StateListener>();
  let settle!: { resolve: (r: RedirectResult) => void; reject: (e: unknown) => void };
  const redirect = new Promise<RedirectResult>((resolve, reject) => (settle = { resolve, reject }));
  const calls = { handleRedirect: 0, login: [] as Array<LoginOptions | undefined>, logout: 0 };
  const client: SessionClient = {
    get state() {
      return state;
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(state, state);
      return () => void listeners.delete(listener);
    },
    on: () => () => undefined,
    login: async (options) => void calls.login.push(options),
    logout: async () => void calls.logout++,
    getAccessToken: async () => 'token',
    getUser: async () => (state.status === 'authenticated' ? state.user : undefined),
    handleRedirect: () => {
      calls.handleRedirect++;
      return redirect;
    },
  };
  return {
    client,
    calls,
    listeners,
    settle,
    set(next: AuthState) {
      const previous = state;
      state = next;
      for (const listener of [...listeners]) listener(next, previous);
    },
  };
}

/** Lets promise reactions and zero-delay timers run. */
export const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};
