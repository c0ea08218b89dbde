import * as oauth from 'oauth4webapi';
import type { ProviderMetadata } from './discovery.js';
import { OAuthError, ProtocolError } from '../errors/errors.js';
import { oauthClient, requestProvider } from './http.js';
import { toAuthError } from '../errors/map-error.js';
import type { ResolvedOptions } from '../client/options.js';
import { checkIdToken } from './id-token-checks.js';
import { MAX_TOKEN_LENGTH, type TokenGrant, type User } from '../session/token-set.js';
import type { Transaction } from '../session/transaction.js';

/**
 * Completes a login: validates the authorization response against its own transaction (state and
 * RFC 9207 `iss`), redeems the code with the verifier, and validates the token response and ID token
 * (pinned algorithm, issuer, audience, expiry, nonce, `auth_time` when `max_age` was sent).
 */
export async function redeemCallback(
  options: ResolvedOptions,
  metadata: ProviderMetadata,
  transaction: Transaction,
  callback: URL,
): Promise<TokenGrant> {
  const client = oauthClient(options);
  const params = callback.searchParams;
  // The checks of oauth4webapi's validateAuthResponse, in its order, without its code in the bundle.
  // RFC 9207 §2.4: `iss`, required when the metadata promises it, is exactly this login's issuer.
  const iss = params.get('iss');
  if (iss === null ? metadata.authorization_response_iss_parameter_supported : iss !== metadata.issuer) {
    throw new ProtocolError('issuer_mismatch', 'login: bad "iss"');
  }
  // RFC 6749 §4.1.2's state check is done: the state is the key that found this transaction, and
  // takeTransaction() returns it only when its own state equals it.
  const error = params.get('error');
  if (error) throw new OAuthError(error, params.get('error_description') ?? undefined, 'login');
  const code = params.get('code');
  // The code flow only: a JARM, implicit or hybrid answer (RFC 9207 §2.4 still applies) is refused.
  if (!code || params.has('response') || params.has('id_token') || params.has('token')) throw new ProtocolError('invalid_callback', 'login: bad "code"');
  // The code comes from the validated parameters; the verifier proves this login started here.
  return requestTokens(
    options,
    metadata,
    { grant_type: 'authorization_code', code, redirect_uri: transaction.redirectUri, code_verifier: transaction.codeVerifier },
    'code exchange',
    (response) =>
      oauth.processAuthorizationCodeResponse(metadata, client, response, {
        expectedNonce: transaction.nonce,
        requireIdToken: true,
        // Absent and undefined are the same to oauth4webapi: no `auth_time` check without `max_age`.
        maxAge: transaction.maxAge as number,
      }),
  );
}

/**
 * One token request, for a code exchange or a refresh: sends `form` to the token endpoint, validates
 * the answer with `process` (oauth4webapi) and then {@link checkIdToken}. `original` (the login's
 * claims) makes it a refresh. Every failure leaves as an SDK error (see toAuthError).
 */
export async function requestTokens(
  options: ResolvedOptions,
  metadata: ProviderMetadata,
  form: Record<string, string>,
  purpose: string,
  process: (response: Response) => Promise<oauth.TokenEndpointResponse>,
  original?: User,
): Promise<TokenGrant> {
  const operation = purpose + ' at ' + options.issuer.host;
  try {
    const grant = toGrant(await process(await requestProvider(options, metadata.token_endpoint as string, form)));
    await checkIdToken(grant.claims, grant.accessToken, {
      alg: options.idTokenSigningAlg,
      clientId: options.clientId,
      nowSeconds: Math.floor(options.now() / 1000),
      toleranceSeconds: options.clockToleranceSeconds,
      // A refresh has the login's claims (a session record always has claims).
      atLogin: !original,
      operation,
      original,
    });
    return grant;
  } catch (error) {
    throw toAuthError(error, operation, tokenErrorCode(error));
  }
}

/** The validated fields of a token response, in our own shape. */
export function toGrant(result: oauth.TokenEndpointResponse): TokenGrant {
  // Far above any real token; a bigger one is an attack on memory and storage, not a session.
  for (const token of [result.access_token, result.refresh_token, result.id_token]) {
    if ((token?.length as number) > MAX_TOKEN_LENGTH) throw new ProtocolError('invalid_token_response', 'token response: a token is too large');
  }
  return {
    accessToken: result.access_token,
    tokenType: result.token_type,
    expiresIn: result.expires_in,
    refreshToken: result.refresh_token,
    idToken: result.id_token,
    claims: oauth.getValidatedIdTokenClaims(result) as User | undefined,
    scope: result.scope,
  };
}

/** Tells an ID token failure from a malformed token response, for the error code only. */
export function tokenErrorCode(error: unknown): 'invalid_id_token' | 'invalid_token_response' {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code === oauth.JWT_TIMESTAMP_CHECK || code === oauth.JWT_CLAIM_COMPARISON || /JWT|ID Token|id_token/.test(String(message))
    ? 'invalid_id_token'
    : 'invalid_token_response';
}
