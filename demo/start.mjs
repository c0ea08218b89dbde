// `npm run demo`: the local provider and the demo app on fixed ports (PORT and PROVIDER_PORT override;
// DEMO_REDIRECT_URIS registers your own app's URLs with the provider too).
import { parseRedirectUris } from './redirect-uris.mjs';
import { startStack } from './stack.mjs';

const appPort = Number(process.env.PORT ?? 3000);
const providerPort = Number(process.env.PROVIDER_PORT ?? 4000);

try {
  const extraRedirectUris = parseRedirectUris(process.env.DEMO_REDIRECT_URIS);
  const stack = await startStack({ appPort, providerPort, accessTokenTtl: 60, extraRedirectUris });
  const { origin } = stack.app;
  // Where the developer points an app of their own: registered URLs, or how to register them.
  const yourApp = extraRedirectUris.length
    ? `Your app:                 client id ${stack.provider.clientId}, redirect URIs ${extraRedirectUris.join(' ')}`
    : `Your own app:             DEMO_REDIRECT_URIS=http://localhost:5173/ npm run demo (client id ${stack.provider.clientId})`;
  console.log(`
  oidc-session demo

    Browser mode, npm build:  ${origin}/demo/
    Browser mode, CDN build:  ${origin}/demo/cdn.html
    Session-server mode:      ${origin}/demo/session-server.html   (tokens stay on the server)
    Provider:                 ${stack.provider.issuer}   (any user name signs in)
    ${yourApp}

  Access tokens live 60 s, so "Get access token" shows a refresh every 30 s or so.
  Press Ctrl+C to stop.
`);
  const stop = () => stack.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (String(error?.message).startsWith('DEMO_REDIRECT_URIS')) {
    console.error(error.message);
    process.exit(1);
  }
  if (error?.code === 'EADDRINUSE') {
    console.error(`Port ${error.port} is in use. Try: PORT=3100 PROVIDER_PORT=4100 npm run demo`);
    process.exit(1);
  }
  throw error;
}
