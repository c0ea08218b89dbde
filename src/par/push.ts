import * as oauth from 'oauth4webapi';
import { ProtocolError } from '../errors/errors.js';
import { toAuthError } from '../errors/map-error.js';
import type { ResolvedOptions } from '../client/options.js';
import type { ProviderMetadata } from '../protocol/discovery.js';
import { oauthClient, requestProvider } from '../protocol/http.js';

/**
 * Far above any real one (RFC 9126 §2.2 shows a URN of about 60 characters), low enough that the
 * authorization URL it goes into stays a URL every browser and proxy carries.
 */
const MAX_REQUEST_URI_CHARS = 2048;

/**
 * Pushes every parameter of `authorizationUrl` to `endpoint` (RFC 9126 §2.1) and resolves with the
 * `request_uri` the provider answered (§2.2). Sent like every other request to the provider
 * (`requestProvider`: client id, deadline, no redirects, the app's fetch, DPoP's proof when DPoP is on);
 * the answer is checked by oauth4webapi (201, JSON, a non-empty `request_uri`, a numeric
 * `expires_in`) and by {@link requestUriOf}. An error answer becomes an
 * {@link OAuthError} (`invalid_request`, `invalid_client`, ...), 429 and 5xx a {@link NetworkError}.
 */
export async function pushAuthorizationRequest(options: ResolvedOptions, metadata: ProviderMetadata, endpoint: URL, authorizationUrl: string): Promise<string> {
  const operation = 'pushed authorization request at ' + options.issuer.host;
  try {
    const form = Object.fromEntries(new URL(authorizationUrl).searchParams);
    const response = await requestProvider(options, endpoint.href, form);
    return requestUriOf(await oauth.processPushedAuthorizationResponse(metadata, oauthClient(options), response), operation);
  } catch (error) {
    throw toAuthError(error, operation, 'unexpected_response');
  }
}

/**
 * The `request_uri` of an answer oauth4webapi accepted (a non-empty string, a numeric `expires_in`),
 * bounded: at most {@link MAX_REQUEST_URI_CHARS} characters, and an `expires_in` above 0 (§2.2: a
 * positive lifetime; oauth4webapi lets 0 through). The session server checks its answers here too.
 */
export function requestUriOf(answer: oauth.PushedAuthorizationResponse, operation: string): string {
  if (answer.request_uri.length > MAX_REQUEST_URI_CHARS || !(answer.expires_in > 0)) {
    throw new ProtocolError('unexpected_response', operation + ': bad "request_uri" or "expires_in"');
  }
  return answer.request_uri;
}
