import * as oauth from 'oauth4webapi';
import { AuthError, NetworkError, OAuthError, ProtocolError, isAuthError, type AuthErrorCode } from './errors.js';
import { isTimeout } from '../protocol/http.js';

/**
 * The one place where errors from oauth4webapi, `fetch` and the runtime become typed SDK errors.
 * Only our own wording reaches the message: upstream `cause` objects carry response bodies, codes
 * and tokens, so they are dropped. `fallback` is the code of a response that failed validation.
 */
export function toAuthError(error: unknown, operation: string, fallback: AuthErrorCode): AuthError {
  if (isAuthError(error)) return error;
  // (AuthorizationResponseError too would be an OAuth error, but only validateAuthResponse throws
  // it, which the SDK does not call: src/protocol/callback.ts checks the response itself.)
  const challenge = error instanceof oauth.WWWAuthenticateChallengeError;
  // The error the provider answered with, in the body or in the `WWW-Authenticate` challenge.
  const answer = (error instanceof oauth.ResponseBodyError ? error.cause : challenge ? error.cause[0]?.parameters : undefined) as
    | { error?: string; error_description?: string | null }
    | undefined;
  if (answer?.error) return new OAuthError(answer.error, answer.error_description ?? undefined, operation);
  if (challenge) return new ProtocolError(fallback, operation + ': authentication challenge');
  // A deadline that fired while oauth4webapi read the body arrives wrapped in its parse error.
  if (isTimeout(error) || isTimeout((error as { cause?: unknown } | null)?.cause)) return new NetworkError('timeout', operation + ': timed out');
  // Unsupported token types, raw TypeErrors (a non-URL issuer in metadata, a malformed body) are bad input, not bugs of ours.
  return new ProtocolError(fallback, operation + ': ' + (error instanceof oauth.OperationProcessingError ? error.message : 'unexpected response'));
}
