// `oidc-session/silent`: signing in without a visible page while the user is still signed in at the
// provider, in a hidden iframe. Opt-in and on its own entry, so apps that renew with refresh tokens
// alone (the default) carry none of it.
export { signInSilently } from './sign-in.js';
export type { SilentClient, SilentSignInOptions } from './sign-in.js';
export { handleSilentCallback } from './callback-page.js';
export type { LoginResult } from '../client/client.js';
