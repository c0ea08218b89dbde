// A stand-in for either client, for the React binding's unit tests: the state is set by the test, and
// handleRedirect() settles when the test says so.
import { vi } from 'vitest';
import type { SessionClient } from '../../src/bindings/session-client.js';
import type { RedirectResult } from '../../src/client/client.js';
import type { AuthEvents, AuthState, StateListener } from '../../src/client/state-hub.js';

export const LOADING: AuthState = Object.freeze({ status: 'loading' });
export const ANONYMOUS: AuthState = Object.freeze({ status: 'anonymous' });
export const authenticated = (sub = 'ada'): AuthState => Object.freeze({ status: 'authenticated', user: { sub }, expiresAt: Date.now() + 60_000 });

export class FakeClient implements SessionClient {
  #state: AuthState;
  readonly #listeners = new Set<StateListener>();
  readonly #events = new Map<string, Set<(event: never) => void>>();
  /** How often the binding read `state` (the server render must not). */
  stateReads = 0;
  readonly redirect: { promise: Promise<RedirectResult>; resolve: (r: RedirectResult) => void; reject: (e: unknown) => void };
  readonly handleRedirect = vi.fn((): Promise<RedirectResult> => this.redirect.promise);
  readonly login = vi.fn(async (): Promise<void> => undefined);
  readonly logout = vi.fn(async (): Promise<void> => undefined);
  readonly getAccessToken = vi.fn(async () => 'token');
  readonly getUser = vi.fn(async () => (this.#state.status === 'authenticated' ? this.#state.user : undefined));

  /** @param pending Leave handleRedirect() pending until the test settles `redirect`; else it resolves `none`. */
  constructor(state: AuthState = LOADING, pending = false) {
    this.#state = state;
    let resolve!: (r: RedirectResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<RedirectResult>((res, rej) => ((resolve = res), (reject = rej)));
    this.redirect = { promise, resolve, reject };
    if (!pending) resolve({ kind: 'none' });
  }

  get state(): AuthState {
    this.stateReads++;
    return this.#state;
  }

  /** Not bound on purpose: the interface does not promise it. */
  subscribe(listener: StateListener): () => void {
    this.#listeners.add(listener);
    listener(this.#state, this.#state);
    return () => void this.#listeners.delete(listener);
  }

  on<K extends keyof AuthEvents>(type: K, listener: (event: AuthEvents[K]) => void): () => void {
    let set = this.#events.get(type);
    if (!set) this.#events.set(type, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => void set.delete(listener as (event: never) => void);
  }

  emit<K extends keyof AuthEvents>(type: K, event: AuthEvents[K]): void {
    for (const listener of this.#events.get(type) ?? []) (listener as (event: AuthEvents[K]) => void)(event);
  }

  set(next: AuthState): void {
    const previous = this.#state;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener(next, previous);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
