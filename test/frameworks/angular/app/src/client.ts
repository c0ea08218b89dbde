// readme:start client
import { AuthClient } from 'oidc-session';

export function createBrowserClient(issuer: string, clientId: string): AuthClient {
  const appUrl = new URL(document.baseURI).href; // the <base href>, e.g. https://app.example/
  return new AuthClient({
    issuer, // e.g. 'https://accounts.example.com'
    clientId,
    redirectUri: appUrl,
    postLogoutRedirectUri: appUrl,
  });
}
// readme:end
