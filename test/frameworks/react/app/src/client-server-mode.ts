// readme:start server-mode
import { AuthClient } from 'oidc-session/server-mode';

export function createServerModeClient(): AuthClient {
  // Where oidc-session/server is mounted on the app's origin.
  return new AuthClient({ sessionServer: '/auth' });
}
// readme:end
