// oidc-session, used the way the README shows. `metadata` is given only in the benchmark's
// "endpoints configured" variant, as an app that pastes the discovery document would.
import { AuthClient } from 'oidc-session';

export function createAdapter({ issuer, clientId, redirectUri, metadata }) {
  const client = new AuthClient({ issuer, clientId, redirectUri, postLogoutRedirectUri: redirectUri, ...(metadata ? { metadata } : {}) });
  return {
    ready: async () => (await client.getUser()) !== undefined,
    login: () => client.login(),
    handleCallback: () => client.handleCallback(),
    getAccessToken: () => client.getAccessToken(),
    forceRefresh: () => client.getAccessToken({ forceRefresh: true }),
    logout: () => client.logout(),
  };
}
