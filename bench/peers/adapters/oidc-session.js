// oidc-session, used the way the README shows.
import { AuthClient } from 'oidc-session';

export function createAdapter({ issuer, clientId, redirectUri }) {
  const client = new AuthClient({ issuer, clientId, redirectUri, postLogoutRedirectUri: redirectUri });
  return {
    ready: async () => (await client.getUser()) !== undefined,
    login: () => client.login(),
    handleCallback: () => client.handleCallback(),
    getAccessToken: () => client.getAccessToken(),
    forceRefresh: () => client.getAccessToken({ forceRefresh: true }),
    logout: () => client.logout(),
  };
}
