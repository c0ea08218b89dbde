import { atRedirectUri } from '../protocol/callback-url.js';

/**
 * True when `url` is a login response at `redirectUri`: the same scheme, host and path, with `state`
 * and a `code` or an `error`. A native app asks it of every deep link it receives (a link to another
 * page of the app, or another app's, is not one) and hands the ones it accepts to `handleRedirect(url)`.
 * A logout return (only `state`) is not a login response: hand links at the post-logout URI to
 * `handleRedirect(url)` as they are.
 */
export function isCallbackUrl(url: string | URL, redirectUri: string): boolean {
  try {
    const parsed = new URL(url);
    const { searchParams } = parsed;
    return atRedirectUri(parsed, new URL(redirectUri).href) && searchParams.has('state') && (searchParams.has('code') || searchParams.has('error'));
  } catch {
    return false;
  }
}
