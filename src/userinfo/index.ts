/**
 * `oidc-session/userinfo`: the signed-in user's claims from the provider's UserInfo endpoint (OpenID
 * Connect Core 1.0 §5.3), added to the ID token's. See {@link fetchUserInfo}.
 */
import type { AuthClient } from '../client/client.js';
import { clientInternals } from '../client/internals.js';
import { ConfigError, LoginRequiredError, OAuthError, ProtocolError } from '../errors/errors.js';
import { toAuthError } from '../errors/map-error.js';
import { authFetch, type AuthFetchOptions } from '../fetch/auth-fetch.js';
import { parseChallenges } from '../fetch/challenges.js';
import { requestProvider } from '../protocol/http.js';
import type { User } from '../session/token-set.js';
import { mergeClaims } from './merge.js';

/** Options of {@link fetchUserInfo}. */
export interface FetchUserInfoOptions {
  /**
   * Sends the request to the UserInfo endpoint. Default: the client's own `fetch` option, else
   * `globalThis.fetch`.
   */
  fetch?: AuthFetchOptions['fetch'];
}

// Far above any real UserInfo answer; more is refused without reading on.
const MAX_BYTES = 1 << 20;

/**
 * The signed-in user's claims: the ID token's, with those of the provider's `userinfo_endpoint`
 * added (OpenID Connect Core 1.0 §5.3). Nothing is stored: `getUser()` and `state.user` keep the ID
 * token's claims, and each call asks the provider again.
 *
 * - The request carries the session's access token as `getAccessToken()` gives it and is sent like an
 *   `authFetch()` request (`oidc-session/fetch`): `Authorization: DPoP` with a proof when the session is
 *   DPoP-bound, else `Bearer`; one more try for a `use_dpop_nonce` challenge; on a 401 with
 *   `error="invalid_token"` one refresh and one retry, never more. The provider must expose
 *   `WWW-Authenticate` (and `DPoP-Nonce`) to the app's origin through CORS for those.
 * - The call has one deadline, the client's `requestTimeoutSeconds`, retries included; no redirect is
 *   followed.
 * - The answer must be a 200 `application/json` object of at most 1 MiB whose `sub` is the ID
 *   token's (§5.3.2). A signed or encrypted answer (`application/jwt`) is refused: the SDK does not
 *   verify signatures. The UserInfo claims never replace `iss`, `aud`, `sub`, `exp`, `iat`, `nonce`,
 *   `auth_time`, `azp`, `at_hash` or `sid` (nor add them); other claims (`name`, `email`, ...) take
 *   the UserInfo values, which are the newer.
 *
 * @param auth The signed-in {@link AuthClient}.
 * @returns A new object on each call.
 * @throws {@link ConfigError} when `auth` is not an `AuthClient`;
 *   {@link LoginRequiredError} when there is no session (or it ended meanwhile);
 *   {@link ProtocolError}: `invalid_discovery` when the provider names no `userinfo_endpoint`,
 *   `invalid_token_response` when the answer's `sub` is missing or not the ID token's (nothing of the
 *   answer is used), `unexpected_response` for any other answer that fails the checks (another
 *   status, another content type, a body over 1 MiB, not JSON);
 *   {@link OAuthError} when the endpoint still refuses the token (`invalid_token`,
 *   `insufficient_scope`: the `error` of its `WWW-Authenticate` challenge);
 *   {@link NetworkError} when it cannot be reached, does not answer in time (`timeout`), or answers
 *   429 or 5xx (`retryAt` from `Retry-After`); what `getAccessToken()` throws.
 */
export async function fetchUserInfo(auth: AuthClient, options: FetchUserInfoOptions = {}): Promise<User> {
  const internals = clientInternals.get(auth);
  if (!internals) throw new ConfigError('auth', 'expected an AuthClient');
  const resolved = internals.options_;
  // Waits until the session is restored; no session, no request.
  if (!(await auth.getUser())) throw new LoginRequiredError();
  const operation = 'userinfo';
  const fail = (why: string) => new ProtocolError('unexpected_response', operation + ': ' + why);
  const endpoint = (await internals.discover_()).userinfo_endpoint;
  if (!endpoint) throw new ProtocolError('invalid_discovery', operation + ': no endpoint');
  // Sent as every request to the provider (accept: application/json, no redirect, one deadline of
  // requestTimeoutSeconds for the call, retries included; 429, 5xx, transport errors and a declared
  // length over 1 MiB refused), through authFetch (the token, DPoP, the retries).
  const api = authFetch(auth, { fetch: options.fetch ?? resolved.fetch ?? globalThis.fetch });
  const response = await requestProvider({ ...resolved, dpop: undefined, fetch: api }, endpoint);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let claims: Record<string, unknown> | undefined;
  try {
    const { status, headers } = response;
    reader = response.body?.getReader();
    if (status !== 200) {
      // RFC 6750 §3: the error is in the challenge (readable when CORS exposes WWW-Authenticate).
      const challenge = parseChallenges(headers.get('www-authenticate')).find((c) => c.params.error);
      throw challenge ? new OAuthError(challenge.params.error as string, challenge.params.error_description, operation) : fail('status ' + status);
    }
    if (headers.get('content-type')?.split(';')[0] !== 'application/json') throw fail('not application/json');
    const chunks: BlobPart[] = [];
    for (let size = 0, chunk; reader && !(chunk = await reader.read()).done; chunks.push(chunk.value as BlobPart)) if ((size += chunk.value.length) > MAX_BYTES) throw fail('answer too large');
    claims = JSON.parse(await new Blob(chunks).text());
  } catch (error) {
    void reader?.cancel().catch(() => undefined);
    throw toAuthError(error, operation, 'unexpected_response');
  }
  // The session as it is now: a refresh may have replaced the record, never its user (OIDC Core §12.2).
  const user = internals.record_()?.claims;
  if (!user) throw new LoginRequiredError();
  // §5.3.2: the sub MUST be verified to exactly match the ID token's; else the answer is not used.
  if (claims?.sub !== user.sub) throw new ProtocolError('invalid_token_response', operation + ': another sub');
  return mergeClaims(user, claims);
}
