// The demo's session server: `oidc-session/server` mounted on the demo app's origin under /auth, a
// confidential client at the local provider, and one API route that reads the session the way an
// app's own backend would. Built from dist/, like the rest of the demo.
import { createSessionServer, memoryStore, nodeHandler, sessionMiddleware } from '../dist/server.js';

export const SESSION_SERVER_CLIENT_ID = 'demo-session-server';
// A demo-only value: a real deployment reads its secrets from the environment.
export const SESSION_SERVER_CLIENT_SECRET = 'demo-session-server-secret-not-for-production';
const DEMO_SECRET = 'demo-cookie-secret-demo-cookie-secret-not-for-production';

/** The provider's registration of the session server's client. @param {string} appOrigin */
export function sessionServerClient(appOrigin) {
  return {
    client_id: SESSION_SERVER_CLIENT_ID,
    client_secret: SESSION_SERVER_CLIENT_SECRET,
    client_name: 'oidc-session demo (session server)',
    application_type: 'web',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${appOrigin}/auth/callback`],
    post_logout_redirect_uris: [`${appOrigin}/demo/session-server.html`],
    // Signing out at the provider (or in another app) ends this app's session too; by sid, so only
    // the sessions of the browser that signed out.
    backchannel_logout_uri: `${appOrigin}/auth/backchannel-logout`,
    backchannel_logout_session_required: true,
  };
}

/**
 * The session server and the demo API as Connect-style handlers.
 * @param {{ issuer: string, appOrigin: string, store?: import('../dist/server.js').SessionStore, options?: object }} config
 */
export function demoSessionServer(config) {
  const server = createSessionServer({
    issuer: config.issuer,
    clientId: SESSION_SERVER_CLIENT_ID,
    clientSecret: SESSION_SERVER_CLIENT_SECRET,
    appUrl: config.appOrigin,
    postLogoutRedirectUri: `${config.appOrigin}/demo/session-server.html`,
    secret: DEMO_SECRET,
    // Refresh tokens from the local provider need offline_access; the token route hands the page access tokens.
    scope: 'openid profile email offline_access',
    tokenRoute: true,
    backchannelLogout: true,
    store: config.store ?? memoryStore(),
    ...config.options,
  });
  const requireSession = sessionMiddleware(server, { required: true });
  /** @type {Array<(req: any, res: any, next: () => void) => void>} */
  const handlers = [
    nodeHandler(server),
    // What an app's own API route looks like: the session or 401, never a token in the browser.
    (req, res, next) => {
      if (req.url !== '/api/me') return next();
      requireSession(req, res, () => {
        const session = req.oidcSession;
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'no-store');
        res.end(JSON.stringify({ sub: session.user.sub, name: session.user.name, expiresAt: session.expiresAt }));
      });
    },
  ];
  return { server, handlers };
}
