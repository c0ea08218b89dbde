// The server entry of the hydration test: renders App to HTML in Node, as an SSR framework would. The
// client is constructed on the server too (construction touches no browser API), and the binding
// renders the `loading` state there without reading it.
// readme:start ssr
import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import { AuthClient } from 'oidc-session';
import { App } from './App.js';
import { BASENAME } from './AuthProviderWithRouter.js';

export function render(url: string, config: { issuer: string; clientId: string; appUrl: string }): string {
  const client = new AuthClient({ issuer: config.issuer, clientId: config.clientId, redirectUri: config.appUrl });
  return renderToString(
    <StrictMode>
      <StaticRouter basename={BASENAME} location={url}>
        <App client={client} />
      </StaticRouter>
    </StrictMode>,
  );
}
// readme:end
