/**
 * `oidc-session/fetch`: API calls with the session's access token, Bearer or DPoP-bound. See
 * {@link authFetch}.
 */
export { authFetch } from './auth-fetch.js';
export type { AuthFetch, AuthFetchOptions, TokenSource } from './auth-fetch.js';
