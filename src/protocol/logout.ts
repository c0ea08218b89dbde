import type { ProviderMetadata } from './discovery.js';
import { requestProvider } from './http.js';
import type { ResolvedOptions } from '../client/options.js';

/**
 * Where to send the user to end the session at the provider (RP-Initiated Logout), or straight to
 * `postLogoutRedirectUri` when the provider has no end-session endpoint.
 */
export function endSessionUrl(
  options: ResolvedOptions,
  metadata: ProviderMetadata | undefined,
  postLogoutRedirectUri: string,
  idToken: string | undefined,
  state: string,
): string {
  const endpoint = metadata?.end_session_endpoint;
  if (typeof endpoint !== 'string') return postLogoutRedirectUri;
  // Discovery already checked that this is an https: (or loopback development) URL.
  const url = new URL(endpoint);
  // A fresh `state` per logout (RP-Initiated Logout §2): the tab keeps it, to know its own logout
  // return from a forged or foreign one (src/protocol/logout-return.ts).
  const params = { client_id: options.clientId, post_logout_redirect_uri: postLogoutRedirectUri, id_token_hint: idToken, state };
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/**
 * Revokes the refresh token (RFC 7009), best effort: the request is sent with `keepalive` so it
 * survives the logout navigation, and its outcome is never awaited by the logout itself.
 */
export async function revokeRefreshToken(options: ResolvedOptions, metadata: ProviderMetadata, refreshToken: string): Promise<void> {
  // The outcome is not used: the session is already gone here, whatever the provider answers.
  if (typeof metadata.revocation_endpoint === 'string') {
    await requestProvider(options, metadata.revocation_endpoint, { token: refreshToken, token_type_hint: 'refresh_token' }, true).catch(() => undefined);
  }
}
