import type { CookieStore } from './store.js';

/**
 * The stateless mode: no server-side state at all. The cookie carries the user's ID token claims and
 * the session's expiry times, encrypted and authenticated with the server's secret. Tokens are not
 * kept (the cookie could not hold them), so the `token` route is unavailable, and a logout cannot
 * revoke anything: the refresh token, if the provider sent one, is revoked right after login.
 */
export function cookieStore(): CookieStore {
  return { kind: 'cookie' };
}
