// The app's one client, created once when the page starts. The test infrastructure builds this app
// twice: with the browser client (client.ts) and in session-server mode (client-server-mode.ts).
import type { SessionClient } from 'oidc-session/angular';
import { createBrowserClient } from './client.js';
import { createServerModeClient } from './client-server-mode.js';

// The test stack injects the provider's address; a real app hard-codes its own.
const { issuer, clientId } = (window as unknown as { OIDC_CONFIG: { issuer: string; clientId: string } }).OIDC_CONFIG;

export const auth: SessionClient = import.meta.env.VITE_OIDC_MODE === 'session-server' ? createServerModeClient() : createBrowserClient(issuer, clientId);

// For the tests: the client, to read its state from the page.
(window as unknown as { auth: unknown }).auth = auth;
