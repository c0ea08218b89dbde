/**
 * Every error the SDK rejects with is an {@link AuthError} with a stable `code`. The subclass says
 * what the caller does next. Messages name the operation and never contain a token, code, verifier or
 * the callback URL.
 */

// A registry symbol, not a module-local one, so that two copies of the SDK on one page (CDN and npm)
// recognise each other's errors.
const brand = Symbol.for('oidc-session.AuthError');

/** Stable machine-readable codes. Match on these, not on messages. */
export type AuthErrorCode =
  | 'invalid_config'
  | 'oauth_error'
  | 'login_required'
  | 'network_error'
  | 'timeout'
  | 'storage_unavailable'
  | 'state_missing'
  | 'state_mismatch'
  | 'transaction_not_found'
  | 'transaction_expired'
  | 'issuer_mismatch'
  | 'invalid_callback'
  | 'invalid_discovery'
  | 'insecure_endpoint'
  | 'invalid_token_response'
  | 'invalid_id_token'
  | 'unexpected_response'
  | 'browser_required'
  | 'callback_unhandled'
  | 'popup_blocked'
  | 'popup_closed'
  | 'aborted'
  | 'silent_unavailable';

/** Base class of every error the SDK throws or rejects with. */
export class AuthError extends Error {
  /** Stable code, see {@link AuthErrorCode}. */
  readonly code: AuthErrorCode;

  // Spelled out in each class: minifiers rename classes, and `name` is part of the contract.
  override name = 'AuthError';

  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** An option is missing or invalid: fix the code that creates or calls the client. */
export class ConfigError extends AuthError {
  override name = 'ConfigError';
  // The subclasses' own properties are `declare`d and set in the constructor: the same own
  // properties in the same order (after `name`), without a field declaration the bundle repeats.
  /** The option (or argument) at fault, e.g. `redirectUri` or `returnTo`. */
  declare readonly option: string;

  constructor(option: string, message: string) {
    super('invalid_config', option + ': ' + message);
    this.option = option;
  }
}

/** The provider answered with an OAuth error (`access_denied`, `invalid_grant`, ...). */
export class OAuthError extends AuthError {
  override name = 'OAuthError';
  /** The provider's `error` value, e.g. `access_denied`. */
  declare readonly error: string;
  /** The provider's `error_description`, if any. Provider-controlled text: never render it as HTML. */
  declare readonly description: string | undefined;

  constructor(error: string, description: string | undefined, operation: string) {
    super('oauth_error', operation + ': the provider answered "' + error + '"');
    this.error = error;
    this.description = description;
  }
}

/** There is no usable session: call `login()`. */
export class LoginRequiredError extends AuthError {
  override name = 'LoginRequiredError';
  constructor(message = 'no session') {
    super('login_required', message);
  }
}

/** A response, callback or stored value failed validation. Nothing from it was used or stored. */
export class ProtocolError extends AuthError {
  override name = 'ProtocolError';
}

/**
 * The provider could not be reached, did not answer in time, or said "try again later" (429, 5xx).
 * The session, if any, is unchanged.
 */
export class NetworkError extends AuthError {
  override name = 'NetworkError';
  /** Epoch ms before which the SDK will not try again (during a back-off), when known. */
  declare readonly retryAt: number | undefined;

  constructor(code: AuthErrorCode, message: string, retryAt?: number) {
    super(code, message);
    this.retryAt = retryAt;
  }
}

/** Browser storage is missing, blocked or full. Nothing half-written was left behind. */
export class StorageError extends AuthError {
  override name = 'StorageError';
}

/** True for any error thrown by any copy of oidc-session, including one loaded from the CDN. */
export function isAuthError(error: unknown): error is AuthError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}
