import * as oauth from 'oauth4webapi';
import { idTokenContext, toGrant, tokenErrorCode } from './callback.js';
import { checkIdToken } from './id-token-checks.js';
import type { ProviderMetadata } from './discovery.js';
import { LoginRequiredError, OAuthError } from '../errors/errors.js';
import { oauthClient, requestProvider } from './http.js';
import { toAuthError } from '../errors/map-error.js';
import type { ResolvedOptions } from '../client/options.js';
import { createSessionRecord, type SessionRecord } from '../session/token-set.js';

/**
 * Spends the session's refresh token for new tokens. Returns the new record (keeping the old refresh
 * token when none is rotated, and the old ID token when none is sent). `invalid_grant` means the
 * session is over and becomes {@link LoginRequiredError}; any other failure leaves it intact.
 */
export async function refreshSession(options: ResolvedOptions, metadata: ProviderMetadata, record: SessionRecord): Promise<SessionRecord> {
  if (record.refreshToken === undefined) throw new LoginRequiredError('expired, no refresh token');
  const client = oauthClient(options);
  const operation = `token refresh at ${options.issuer.host}`;
  let grant;
  try {
    const response = await requestProvider(options, metadata.token_endpoint as string, {
      grant_type: 'refresh_token',
      refresh_token: record.refreshToken,
    });
    grant = toGrant(await oauth.processRefreshTokenResponse(metadata, client, response));
    await checkIdToken(grant.claims, grant.accessToken, { ...idTokenContext(options, false, operation), original: record.claims });
  } catch (error) {
    const mapped = toAuthError(error, operation, tokenErrorCode(error));
    if (mapped instanceof OAuthError && mapped.error === 'invalid_grant') {
      throw new LoginRequiredError('the provider ended the session');
    }
    throw mapped;
  }
  return createSessionRecord(grant, { issuer: record.issuer, clientId: record.clientId, now: options.now(), sid: record.sid }, record);
}
