// `oidc-session/par`: pushed authorization requests (RFC 9126). Its own entry, so apps that do not
// push never carry it; the client calls it through `options.par` (src/client/protocol-hooks.ts) once
// the authorization URL is complete (after DPoP's `dpop_jkt`).
import type { ProviderMetadata } from '../protocol/discovery.js';
import { ConfigError } from '../errors/errors.js';
import type { ProtocolHooks } from '../client/protocol-hooks.js';
import { parEndpoint } from './endpoint.js';
import { pushAuthorizationRequest } from './push.js';
import { requestUriUrl } from './request-uri-url.js';

/** When {@link par} pushes: `'always'` every login, `'auto'` only when the provider requires it. */
export type PushMode = 'auto' | 'always';

/**
 * Pushed authorization requests (RFC 9126), for `new AuthClient({ ..., par: par() })`. Before each
 * login the client POSTs the whole authorization request (scope, `state`, `nonce`, PKCE challenge,
 * redirect URI, `authorizationParams`, DPoP's `dpop_jkt`) to the provider's
 * `pushed_authorization_request_endpoint`, straight from the app, and sends the browser to the
 * authorization endpoint with only `client_id` and the one-time `request_uri` the provider answered.
 * Nothing of the request travels in the address bar, where extensions, history and logs can read or
 * alter it, and the provider sees it before the user does. The rest of the login (the callback, the
 * code exchange) is unchanged; popup login and silent sign-in push too.
 *
 * The provider must allow the app's origin to call that endpoint (CORS), as it does the token endpoint.
 *
 * @param mode `'always'` (default): every login is pushed; a provider without the endpoint fails
 *   `login()` with a {@link ConfigError} naming `par`, before the browser goes anywhere.
 *   `'auto'`: pushed only when the provider's metadata says `require_pushed_authorization_requests:
 *   true`; otherwise the login is sent the usual way.
 *
 * `login()` then also rejects, before navigating and leaving no pending login behind, with an
 * {@link OAuthError} when the provider refuses the push (`invalid_request`, `invalid_client`, ...), a
 * {@link NetworkError} when it cannot be reached or answers 429 or 5xx, and a {@link ProtocolError} for
 * an endpoint that is not https: (`insecure_endpoint`; http: only on loopback hosts with a loopback
 * issuer), a provider that requires pushing but names no endpoint (`invalid_discovery`), or an answer
 * that fails validation (`unexpected_response`: not 201 JSON, a `request_uri` that is not a string of
 * at most 2048 characters, an `expires_in` that is not a positive number).
 * @throws {@link ConfigError} for a mode other than `'auto'` or `'always'`.
 */
export function par(mode: PushMode = 'always'): ProtocolHooks {
  if (mode !== 'auto' && mode !== 'always') throw new ConfigError('par', "expected 'auto' or 'always'");
  return {
    authorize_: async (url, options, document) => {
      const metadata = document as ProviderMetadata;
      const endpoint = parEndpoint(mode === 'always', options, metadata);
      return endpoint ? requestUriUrl(metadata, options.clientId, await pushAuthorizationRequest(options, metadata, endpoint, url)) : url;
    },
  };
}
