import { AuthClient } from 'oidc-session';
import { AuthClient as ServerModeClient } from 'oidc-session/server-mode';
import { useAuth, type SessionClient } from 'oidc-session/vue';

// The test stack injects the provider's address; a real app hard-codes its own.
const { issuer, clientId } = (window as unknown as { OIDC_CONFIG: { issuer: string; clientId: string } }).OIDC_CONFIG;

function browserModeClient(): SessionClient {
  // readme:start client
  const appUrl = new URL(import.meta.env.BASE_URL, location.origin).href; // e.g. https://app.example/
  return new AuthClient({
    issuer, // e.g. 'https://accounts.example.com'
    clientId,
    redirectUri: appUrl,
    postLogoutRedirectUri: appUrl,
  });
  // readme:end
}

function sessionServerModeClient(): SessionClient {
  // readme:start server-mode-client
  // The session server (oidc-session/server) is mounted at /auth on the app's origin.
  return new ServerModeClient({ sessionServer: '/auth' });
  // readme:end
}

export const auth = import.meta.env.VITE_OIDC_MODE === 'session-server' ? sessionServerModeClient() : browserModeClient();

/** Claims this app's provider adds to the standard ones: asserted, not checked (the binding checks only the standard ones). */
export interface AppClaims {
  readonly tenant?: string;
}

/** useAuth() with them: `user.value?.tenant` is `string | undefined`, as `user.value?.name` is; no casts. */
export const useAppAuth = () => useAuth<AppClaims>();
