// oidc-session/server-mode: the browser client for apps whose session lives on a session server
// (`oidc-session/server`). Same API as the main entry's AuthClient; none of the OAuth machinery, as
// the browser never holds a refresh token here.
export { SessionServerClient as AuthClient } from './session-server-client.js';
export type { SessionServerModeOptions } from './session-server-client.js';
export type { AuthEvents, AuthState, StateListener } from './state-hub.js';
export type { GetAccessTokenOptions, LoginOptions, LoginResult } from './client.js';
export type { User } from './token-set.js';
export { AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, isAuthError } from './errors.js';
export type { AuthErrorCode } from './errors.js';
