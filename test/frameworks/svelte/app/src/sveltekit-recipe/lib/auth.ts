// readme:start sveltekit-auth
// src/lib/auth.ts: one client and one store for the whole app.
import { goto } from '$app/navigation';
import { AuthClient } from 'oidc-session';
import { authStore } from 'oidc-session/svelte';

export const auth = authStore(
  new AuthClient({
    issuer: 'https://accounts.example.com',
    clientId: 'my-sveltekit-app',
    redirectUri: 'https://app.example.com/',
  }),
  // SvelteKit owns the history: navigate with goto(), not history.replaceState().
  { onRedirect: ({ returnTo }) => goto(returnTo, { replaceState: true }) },
);
// readme:end
