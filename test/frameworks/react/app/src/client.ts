// readme:start client
import { AuthClient } from 'oidc-session';

export function createBrowserClient(issuer: string, clientId: string): AuthClient {
  // The app's root, e.g. https://app.example/ (register it at the provider as redirect and post-logout URI).
  const appUrl = new URL(import.meta.env.BASE_URL, location.origin).href;
  return new AuthClient({ issuer, clientId, redirectUri: appUrl, postLogoutRedirectUri: appUrl });
}
// readme:end
