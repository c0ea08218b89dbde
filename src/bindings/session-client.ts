import type { GetAccessTokenOptions, LoginOptions, LogoutOptions, RedirectResult } from '../client/client.js';
import type { AuthEvents, AuthState, StateListener } from '../client/state-hub.js';
import type { User } from '../session/token-set.js';

/**
 * What the framework bindings need of a client: both `AuthClient` from `oidc-session` and the one from
 * `oidc-session/server-mode` have it, so one binding serves both modes.
 */
export interface SessionClient {
  /** The current state; reading it the first time starts the client. */
  readonly state: AuthState;
  subscribe(listener: StateListener): () => void;
  on<K extends keyof AuthEvents>(type: K, listener: (event: AuthEvents[K]) => void): () => void;
  /** Resolves when navigation starts; `AuthClient` resolves with the login when `navigate` brought the callback back. */
  login(options?: LoginOptions): Promise<unknown>;
  logout(options?: LogoutOptions): Promise<void>;
  getAccessToken(options?: GetAccessTokenOptions): Promise<string>;
  getUser(): Promise<User | undefined>;
  /** Handles whatever the redirect brought: a login callback, a logout return, or nothing. Same promise when called again on one page. */
  handleRedirect(url?: string | URL): Promise<RedirectResult>;
}

/** The state a server render and the first (hydrating) client render agree on. */
export const LOADING_STATE: AuthState = Object.freeze({ status: 'loading' });
