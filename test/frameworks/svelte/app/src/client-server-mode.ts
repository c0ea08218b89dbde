// readme:start server-mode-client
import { AuthClient } from 'oidc-session/server-mode';

export function createServerModeClient(): AuthClient {
  // The session server (oidc-session/server) is mounted at /auth on the app's origin.
  return new AuthClient({ sessionServer: '/auth' });
}
// readme:end
