// oidc-provider's resource indicators (RFC 8707) for the tests: `features.resourceIndicators` with the
// resource servers a test declares. oidc-provider refuses any other resource with invalid_target.
import { errors } from 'oidc-provider';

/**
 * @typedef {object} ResourceServerSpec
 * @property {string} scope The scopes the API accepts (space-separated).
 * @property {'jwt' | 'opaque'} format Access-token format: `jwt` for APIs that verify signatures, `opaque` to look tokens up in the provider.
 * @property {boolean} [refusedAtToken] Accepted in the authorization request, refused at the token endpoint (a policy changed mid-session).
 */

/**
 * The `features.resourceIndicators` configuration for these resource servers (by resource indicator).
 * @param {Record<string, ResourceServerSpec>} servers
 */
export function resourceIndicatorsFeature(servers) {
  return {
    enabled: true,
    // The login's token stays the UserInfo one: a resource's token is asked for by name.
    useGrantedResource: () => false,
    getResourceServerInfo: (/** @type {any} */ ctx, /** @type {string} */ resource) => {
      const server = Object.hasOwn(servers, resource) ? servers[resource] : undefined;
      if (!server || (server.refusedAtToken && ctx.oidc.route === 'token')) throw new errors.InvalidTarget();
      return {
        scope: server.scope,
        audience: resource,
        accessTokenTTL: 60,
        accessTokenFormat: server.format,
        ...(server.format === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
      };
    },
  };
}
