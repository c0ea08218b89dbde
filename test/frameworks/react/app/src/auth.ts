// The app's one client, created once when the page starts (never during render). The test
// infrastructure builds this app twice: with the browser client (tokens in this tab, client.ts) and in
// session-server mode (tokens on the server, client-server-mode.ts).
import type { SessionClient } from 'oidc-session/react';
import { createBrowserClient } from './client.js';
import { createServerModeClient } from './client-server-mode.js';

declare global {
  interface Window {
    /** Written into the page by the test server: the local provider's issuer and the app's client id. */
    OIDC_CONFIG: { issuer: string; clientId: string };
  }
}

export const SERVER_MODE = import.meta.env.VITE_OIDC_MODE === 'session-server';

export function createClient(): SessionClient {
  return SERVER_MODE ? createServerModeClient() : createBrowserClient(window.OIDC_CONFIG.issuer, window.OIDC_CONFIG.clientId);
}
