/// <reference types="vite/client" />
// The smallest app the infrastructure can build: no framework, both client modes, the built package.
import { AuthClient } from 'oidc-session';
import { AuthClient as ServerModeClient } from 'oidc-session/server-mode';

const config = (window as any).OIDC_CONFIG as { issuer: string; clientId: string };
const base = new URL(import.meta.env.BASE_URL, location.origin).href;
const client =
  import.meta.env.VITE_OIDC_MODE === 'session-server'
    ? new ServerModeClient({ sessionServer: import.meta.env.VITE_SESSION_SERVER })
    : new AuthClient({ issuer: config.issuer, clientId: config.clientId, redirectUri: base, postLogoutRedirectUri: base });
(window as any).client = client;

const status = document.getElementById('status') as HTMLElement;
client.subscribe((state) => {
  status.dataset.status = state.status;
  status.textContent = state.status === 'authenticated' ? `${state.status} as ${state.user.sub}` : state.status;
});
document.getElementById('login')!.onclick = () => void client.login();
document.getElementById('logout')!.onclick = () => void client.logout();
if (import.meta.env.VITE_OIDC_MODE !== 'session-server' && new URLSearchParams(location.search).has('state')) {
  void client.handleCallback().catch((error) => console.warn(error));
}
