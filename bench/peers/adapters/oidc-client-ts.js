// oidc-client-ts v3 with its defaults (user in sessionStorage); the access-token helper is the usual
// pattern from its samples: the stored user while it is not expired, otherwise signinSilent(), which
// uses the refresh token. Automatic silent renew is off so every SDK renews only when asked.
// `metadata` (its own option of that name) is given only in the "endpoints configured" variant.
import { UserManager } from 'oidc-client-ts';

export function createAdapter({ issuer, clientId, redirectUri, metadata }) {
  const manager = new UserManager({
    ...(metadata ? { metadata } : {}),
    authority: issuer,
    client_id: clientId,
    redirect_uri: redirectUri,
    post_logout_redirect_uri: redirectUri,
    scope: 'openid profile email',
    automaticSilentRenew: false,
  });
  return {
    ready: async () => (await manager.getUser()) !== null,
    login: () => manager.signinRedirect(),
    handleCallback: () => manager.signinRedirectCallback(),
    getAccessToken: async () => {
      let user = await manager.getUser();
      if (!user || user.expired) user = await manager.signinSilent();
      return user.access_token;
    },
    forceRefresh: async () => (await manager.signinSilent()).access_token,
    logout: () => manager.signoutRedirect(),
  };
}
