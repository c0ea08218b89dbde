/**
 * Reading and cleaning the URL the provider sent the user back to. The code flow answers in the
 * query string only; a fragment is never read.
 */
import { ProtocolError } from '../errors/errors.js';

/** Parameters of an authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207; OIDC Session Management). */
const RESPONSE_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'];
/** Removed from the address bar once read: those, and what other response types (implicit, JARM) carry tokens in. */
const REMOVED = [...RESPONSE_PARAMS, 'access_token', 'id_token', 'refresh_token', 'token_type', 'expires_in', 'response'];
// Far above any real code, state or error text (providers use well under 2 KiB); a longer one is junk.
const MAX_PARAM_LENGTH = 4096;

/** `url` without those parameters and the fragment; the app's own query parameters stay exactly as spelled. */
export function withoutResponseParams(url: URL): string {
  const clean = new URL(url.href);
  // Pair by pair rather than through searchParams, which would re-encode the app's parameters.
  clean.search = url.search
    .slice(1)
    .split('&')
    .filter((pair) => !REMOVED.includes(new URLSearchParams(pair).keys().next().value as string))
    .join('&');
  clean.hash = '';
  return clean.href;
}

/**
 * RFC 6749 §3.1: a response parameter appears at most once; and none is empty or over 4 KiB. Checked
 * before the pending login is looked up, so a malformed response never consumes it.
 */
export function checkResponseParams(params: URLSearchParams): void {
  for (const name of RESPONSE_PARAMS) {
    const values = params.getAll(name);
    if (values.length > 1 || values.some((value) => !value || value.length > MAX_PARAM_LENGTH)) {
      throw new ProtocolError('invalid_callback', `login: bad "${name}"`);
    }
  }
}

/**
 * True when `url` arrived at `redirectUri`: the same scheme, host and path, whatever the query the
 * provider added. A deep link to another path of the app, or another app's scheme, is not a callback.
 */
export function atRedirectUri(url: URL, redirectUri: string): boolean {
  return url.href.split(/[?#]/)[0] === redirectUri.split(/[?#]/)[0];
}
