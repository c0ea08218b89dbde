/**
 * The alphabet of `?auth_error=`: every code a session server sends the browser back with after a
 * failed login, and the only ones session-server mode accepts from the address bar. Anything else
 * (a hostile provider's invented code, a forged link's text) becomes {@link GENERIC_AUTH_ERROR}.
 */
import type { AuthErrorCode } from './errors.js';

/** The one code for anything outside the alphabet (RFC 6749 §4.1.2.1's catch-all). */
export const GENERIC_AUTH_ERROR = 'server_error';

const CODES = [
  // RFC 6749 §4.1.2.1 (authorization error response) and §5.2 (token error response).
  'invalid_request', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope', GENERIC_AUTH_ERROR,
  'temporarily_unavailable', 'invalid_client', 'invalid_grant', 'unsupported_grant_type',
  // OpenID Connect Core 1.0 §3.1.2.6, and OpenID Connect Core Error Code unmet_authentication_requirements 1.0.
  'interaction_required', 'login_required', 'account_selection_required', 'consent_required', 'invalid_request_uri',
  'invalid_request_object', 'request_not_supported', 'request_uri_not_supported', 'registration_not_supported',
  'unmet_authentication_requirements',
  // Ours: the session server's own (`session_too_large`) and every AuthErrorCode a failed callback passes on.
  'session_too_large', 'transaction_not_found', 'transaction_expired', 'invalid_config', 'oauth_error', 'network_error', 'timeout',
  'storage_unavailable', 'state_missing', 'state_mismatch', 'issuer_mismatch', 'invalid_callback', 'invalid_discovery',
  'insecure_endpoint', 'invalid_token_response', 'invalid_id_token', 'unexpected_response',
] as const;

/**
 * Codes only the app's side raises, about the page or the window it runs in (and a desktop app's
 * loopback listener): no server sends them.
 */
type BrowserOnlyCode = 'browser_required' | 'callback_unhandled' | 'popup_blocked' | 'popup_closed' | 'aborted' | 'silent_unavailable';

/** Compile-time guard: a new {@link AuthErrorCode} that is missing above makes this line an error. */
true satisfies [Exclude<AuthErrorCode, (typeof CODES)[number] | BrowserOnlyCode>] extends [never] ? true : never;

/** `value` when it is in the alphabet, else {@link GENERIC_AUTH_ERROR}. */
export function authErrorCode(value: unknown): string {
  return CODES.includes(value as never) ? (value as string) : GENERIC_AUTH_ERROR;
}
