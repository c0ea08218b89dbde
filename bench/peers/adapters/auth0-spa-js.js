// @auth0/auth0-spa-js v2 as its quick start shows it, with refresh tokens and the localStorage cache.
// It never fetches discovery (it builds Auth0's URLs itself), so it has no use for `metadata`.
import { Auth0Client } from '@auth0/auth0-spa-js';

export function createAdapter({ issuer, clientId, redirectUri }) {
  const client = new Auth0Client({
    domain: issuer.replace(/\/$/, ''),
    clientId,
    authorizationParams: { redirect_uri: redirectUri },
    useRefreshTokens: true,
    cacheLocation: 'localstorage',
  });
  return {
    ready: () => client.isAuthenticated(),
    login: () => client.loginWithRedirect(),
    handleCallback: () => client.handleRedirectCallback(),
    getAccessToken: () => client.getTokenSilently(),
    forceRefresh: () => client.getTokenSilently({ cacheMode: 'off' }),
    logout: () => client.logout({ logoutParams: { returnTo: redirectUri } }),
  };
}
