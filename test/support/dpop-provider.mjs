// Turns the local provider's configuration (demo/provider.mjs) into one that demands DPoP (RFC 9449)
// from the demo client: pass it as `configure` to startProvider or `configureProvider` to startStack.
//
// oidc-provider 9 facts this relies on (node_modules/oidc-provider/lib):
// - The feature is `features.dPoP` (camel case; `features.dpop` is refused: "Unknown feature
//   configuration: dpop"). It is enabled by default; `nonceSecret` (a 32-byte Buffer) turns nonces on,
//   `requireNonce(ctx)` (a function returning a boolean) makes them mandatory and needs `nonceSecret`.
// - With `nonceSecret` set the provider sends `DPoP-Nonce` on every answer to a proof that did not carry
//   the current nonce (even when nonces are not required), and CORS exposes `DPoP-Nonce`.
// - Client metadata `dpop_bound_access_tokens: true` makes the token endpoint refuse a request without a
//   proof (`invalid_grant`, "DPoP proof JWT not provided"), for the code and the refresh grant.
// - Refresh tokens of public clients (`token_endpoint_auth_method: 'none'`) are bound to the DPoP key of
//   the access token issued with them (`jkt`); refreshing with another key or without a proof is
//   `invalid_grant` ("failed jkt verification").
// - oidc-provider's default `rotateRefreshToken` does NOT rotate sender-constrained (DPoP-bound) refresh
//   tokens of public clients (only past 70 % of their lifetime); the demo rotates them, so this keeps
//   rotating them unless `rotateRefreshToken: 'default'`.
// - `features.pushedAuthorizationRequests` (enabled by default) with `requirePushedAuthorizationRequests`
//   for every client, or client metadata `require_pushed_authorization_requests` for one.
import { randomBytes } from 'node:crypto';

/**
 * @typedef {object} DpopProviderOptions
 * @property {boolean} [requireDPoP] Client metadata `dpop_bound_access_tokens`: the token endpoint refuses
 *   requests without a proof (default true).
 * @property {boolean} [requireNonce] Proofs at the token (and PAR, userinfo) endpoint must carry the
 *   provider's nonce (default false).
 * @property {Buffer} [nonceSecret] The 32-byte nonce secret; default: a random one when `requireNonce`.
 *   Given without `requireNonce`, the provider offers nonces (DPoP-Nonce headers) without demanding them.
 * @property {boolean} [requirePar] The client must push its authorization requests (default false).
 * @property {string} [clientId] The client to adjust (default `demo-spa`, demo/provider.mjs's default).
 * @property {boolean | 'default'} [rotateRefreshToken] `true` (default): every refresh rotates the refresh
 *   token, as without DPoP; `false`: never; `'default'`: oidc-provider's policy (bound tokens of public
 *   clients are not rotated until 70 % of their lifetime has passed).
 */

/**
 * Returns a copy of `config` (oidc-provider configuration) with DPoP and PAR set up for the demo client.
 * @template {Record<string, any>} T
 * @param {T} config
 * @param {DpopProviderOptions} [options]
 * @returns {T}
 */
export function dpopProviderConfig(config, { requireDPoP = true, requireNonce = false, nonceSecret, requirePar = false, clientId = 'demo-spa', rotateRefreshToken = true } = {}) {
  const secret = nonceSecret ?? (requireNonce ? randomBytes(32) : undefined);
  const clients = /** @type {Record<string, any>[]} */ (config.clients ?? []);
  if (!clients.some((client) => client.client_id === clientId)) throw new Error(`dpopProviderConfig: no client ${clientId} in the configuration`);
  return {
    ...config,
    ...(rotateRefreshToken === 'default' ? {} : { rotateRefreshToken: () => rotateRefreshToken }),
    clients: clients.map((client) =>
      client.client_id === clientId
        ? { ...client, dpop_bound_access_tokens: requireDPoP, require_pushed_authorization_requests: requirePar }
        : client,
    ),
    features: {
      ...config.features,
      dPoP: {
        ...config.features?.dPoP,
        enabled: true,
        ...(secret ? { nonceSecret: secret } : {}),
        requireNonce: () => requireNonce,
      },
      pushedAuthorizationRequests: {
        ...config.features?.pushedAuthorizationRequests,
        enabled: true,
        requirePushedAuthorizationRequests: false,
      },
    },
  };
}
