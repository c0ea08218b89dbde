import * as oauth from 'oauth4webapi';
import { requestTokens } from './callback.js';
import type { ProviderMetadata } from './discovery.js';
import { LoginRequiredError, OAuthError } from '../errors/errors.js';
import { oauthClient } from './http.js';
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
  let grant;
  try {
    grant = await requestTokens(
      options,
      metadata,
      { grant_type: 'refresh_token', refresh_token: record.refreshToken },
      'token refresh',
      (response) => oauth.processRefreshTokenResponse(metadata, client, response),
      record.claims,
    );
  } catch (error) {
    if (error instanceof OAuthError && error.error === 'invalid_grant') {
      throw new LoginRequiredError('the provider ended the session');
    }
    throw error;
  }
  return createSessionRecord(grant, { issuer: record.issuer, clientId: record.clientId, now: options.now(), sid: record.sid }, record);
}
