// readme:start store
import { authStore } from 'oidc-session/svelte';
import { client } from './app-client.js'; // the AuthClient: createBrowserClient() above, or createServerModeClient()
import type { AppClaims } from './claims.js';
import { navigate } from './router.js';

// Handles the login callback at once; after a login, onRedirect goes back where it started.
export const auth = authStore<AppClaims>(client, {
  onRedirect: ({ returnTo }) => navigate(returnTo, { replace: true }),
});
// readme:end
