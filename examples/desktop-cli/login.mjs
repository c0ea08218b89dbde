#!/usr/bin/env node
// A terminal app that signs its user in through the system browser (RFC 8252 §7.3): a loopback
// listener on a random port receives the login response, the SDK completes the login with PKCE.
//
//   node examples/desktop-cli/login.mjs                 # against the demo's local provider
//   OIDC_ISSUER=https://id.example.com OIDC_CLIENT_ID=my-cli node examples/desktop-cli/login.mjs
//
// Register `http://127.0.0.1/callback` at your provider for a native (public) client; RFC 8252 §7.3
// has the provider accept any port there. BROWSER=none prints the URL instead of opening a browser.
import { execFile } from 'node:child_process';
import { AuthClient } from 'oidc-session';
import { loopbackLogin } from 'oidc-session/loopback';

const REDIRECT_URI = 'http://127.0.0.1/callback';

const local = process.env.OIDC_ISSUER ? undefined : await startLocalProvider();
const issuer = process.env.OIDC_ISSUER ?? local.issuer;
const clientId = process.env.OIDC_CLIENT_ID ?? local.clientId;

// Tokens stay in this process's memory. A real app keeps the refresh token in the OS keychain (or a
// file only the user can read) behind the same four methods, so the next run starts signed in.
const tokens = new Map();
const storage = { get: (key) => tokens.get(key), set: (key, value) => void tokens.set(key, value), remove: (key) => void tokens.delete(key), keys: () => [...tokens.keys()] };

const auth = new AuthClient({ issuer, clientId, redirectUri: REDIRECT_URI, storage });
try {
  const { user } = await loopbackLogin(auth, { open: openInBrowser, timeoutMs: 5 * 60_000 });
  console.log(`Signed in as ${user.name ?? user.sub}`);
  const accessToken = await auth.getAccessToken();
  console.log(`Access token: ${accessToken.slice(0, 8)}… (${accessToken.length} characters)`);
} catch (error) {
  console.error(`Sign-in failed: ${error.code ?? ''} ${error.message}`);
  process.exitCode = 1;
} finally {
  // The client listens to other "tabs" (BroadcastChannel); a CLI ends it to let Node exit.
  auth.dispose();
  await local?.close();
}

/** Opens `url` in the user's browser, or prints it (BROWSER=none, or no opener on this system). */
function openInBrowser(url) {
  console.log(`Open this URL in your browser to sign in:\n${url}`);
  if (process.env.BROWSER === 'none') return;
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  execFile(command, args, () => undefined);
}

/** The demo's provider (oidc-provider) with a native client for this example, on a free port. */
async function startLocalProvider() {
  const { startProvider } = await import('../../demo/provider.mjs');
  const provider = await startProvider({
    clientId: 'desktop-cli',
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [],
    // A native client: oidc-provider then accepts the loopback redirect URI with any port.
    configure: (configuration) => ({ ...configuration, clients: configuration.clients.map((client) => (client.client_id === 'desktop-cli' ? { ...client, application_type: 'native' } : client)) }),
  });
  console.log(`Local provider: ${provider.issuer} (sign in with any user name)`);
  return provider;
}
