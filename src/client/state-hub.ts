import { callSafely } from './call-safely.js';
import { ConfigError, type AuthError } from '../errors/errors.js';
import type { User } from '../session/token-set.js';

/** The session as the UI sees it. A new object on every change, the same object while nothing changes. */
export type AuthState =
  | { readonly status: 'loading' }
  | { readonly status: 'anonymous' }
  | { readonly status: 'authenticated'; readonly user: User; readonly expiresAt: number };

/** Called with the new and the previous state. */
export type StateListener = (state: AuthState, previous: AuthState) => void;

/** Payloads of the discrete events. `remote` is true when it happened in another tab of the app. */
export interface AuthEvents {
  /** A login completed (in this tab, or in another one this tab now shares the session with). */
  login: { readonly user: User; readonly remote: boolean };
  /** This tab obtained new tokens with the refresh token (other tabs just adopt them). */
  refresh: { readonly expiresAt: number };
  /**
   * The session ended: `user` by `logout()`, `expired` when the provider refused to renew it (or, in
   * session-server mode, the session timed out). Session-server mode only: `provider` when the provider
   * ended it (back-channel logout), `ended` when the app's server did (`endSessions()`).
   */
  logout: { readonly reason: 'user' | 'expired' | 'provider' | 'ended'; readonly remote: boolean };
  /**
   * Something degraded without failing the call: storage could not be read or written (blocked, full,
   * IndexedDB missing), so the session lives in this page's memory only; or, in session-server mode,
   * the server could not be asked. `error` is a {@link StorageError} or a {@link NetworkError}.
   */
  warning: { readonly error: AuthError };
}

export const LOADING: AuthState = Object.freeze({ status: 'loading' });
export const ANONYMOUS: AuthState = Object.freeze({ status: 'anonymous' });

/**
 * State snapshots, subscriptions and events, shared by both modes of the client. `begin()` is the
 * subclass's lazy start: the first read of the state or subscription restores the session.
 */
export abstract class StateHub {
  #state: AuthState = LOADING;
  readonly #events = new Map<keyof AuthEvents, Set<(event: never) => void>>();
  readonly #listeners = new Set<StateListener>();

  protected abstract begin(): void;

  /** The current state. Reading it the first time restores the session. */
  get state(): AuthState {
    this.begin();
    return this.#state;
  }

  /**
   * Calls `listener` now and after every state change; returns the unsubscribe function. Bound, so it
   * can be passed as is to React's `useSyncExternalStore` or used as a Svelte store's `subscribe`.
   */
  readonly subscribe = (listener: StateListener): (() => void) => {
    checkListener(listener);
    this.begin();
    this.#listeners.add(listener);
    callSafely(listener, this.#state, this.#state);
    return () => void this.#listeners.delete(listener);
  };

  /** Listens to one kind of event; returns the function that removes the listener. */
  on<K extends keyof AuthEvents>(type: K, listener: (event: AuthEvents[K]) => void): () => void {
    checkListener(listener);
    const set = this.#events.get(type) ?? new Set();
    this.#events.set(type, set);
    set.add(listener as (event: never) => void);
    return () => void set.delete(listener as (event: never) => void);
  }

  protected emit<K extends keyof AuthEvents>(type: K, event: AuthEvents[K]): void {
    for (const listener of [...(this.#events.get(type) ?? [])]) callSafely(listener as (event: AuthEvents[K]) => void, event);
  }

  /** Moves to `next` (unless it is the current state) and tells the listeners. */
  protected setState(next: AuthState): void {
    const previous = this.#state;
    if (next === previous) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) callSafely(listener, next, previous);
  }
}

/** The authenticated state for a user whose session ends (or needs renewing) at `expiresAt`. */
export function authenticated(user: User, expiresAt: number): AuthState {
  return Object.freeze({ status: 'authenticated', user, expiresAt });
}

function checkListener(listener: unknown): void {
  if (typeof listener !== 'function') throw new ConfigError('listener', 'expected a function');
}
