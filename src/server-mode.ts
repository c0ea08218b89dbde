// oidc-session/server-mode: the browser client for apps whose session lives on a session server
// (`oidc-session/server`). Same API as the main entry's AuthClient; none of the OAuth machinery, as
// the browser never holds a refresh token here.
export { SessionServerClient as AuthClient } from './client/session-server-client.js';
export type { SessionServerModeOptions } from './client/session-server-client.js';
export type { AuthEvents, AuthState, StateListener } from './client/state-hub.js';
export type { GetAccessTokenOptions, LoginOptions, LoginResult } from './client/client.js';
export type { User } from './session/token-set.js';
export { AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, isAuthError } from './errors/errors.js';
export type { AuthErrorCode } from './errors/errors.js';
