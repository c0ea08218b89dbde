// readme:start sveltekit-guard
// src/routes/account/+page.ts: waits while the session loads; an anonymous user goes to the
// provider and comes back here. `signedIn` is false while that happens (or after a failed callback:
// show $auth.error and a Sign in button).
import { requireAuth } from 'oidc-session/svelte';
import { auth } from '$lib/auth';

export const load = async ({ url }: { url: URL }) => ({
  signedIn: await requireAuth(auth, url.pathname + url.search),
});
// readme:end
